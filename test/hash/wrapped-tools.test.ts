// Wrappers do not hide the tool: `stdbuf -oL bin/tag`, `env LC_ALL=C bin/tag`, `timeout`,
// `nice`, `sh -c '...'` hash the executable they run (and the files a `sh -c` script names),
// so upgrading it reruns its stages. `files` globs cover a tool that finds its files by a
// prefix (`hunspell -d en_US`).
import { afterEach, describe, expect, it } from 'vitest';
import { wrappedCommands } from '../../src/hash/wrapped-command.js';
import { Project } from '../rig.js';

let p: Project | undefined;
afterEach(() => p?.dispose());

const TAG = (version: string): string => `#!/bin/sh\n[ -n "$TOOL_LOG" ] && echo "tag $*" >> "$TOOL_LOG"\nsed 's/^/${version} /'\n`;

// `tag` is found on PATH, as an installed tool is: no argument names its file.
const WRAPPED: Record<string, string[]> = {
  stdbuf: ['stdbuf', '-oL', 'tag'],
  env: ['env', 'LC_ALL=C', 'tag'],
  timeout: ['timeout', '-k', '5', '30', 'tag'],
  nice: ['nice', '-n', '5', 'tag'],
  nested: ['env', 'LC_ALL=C', 'stdbuf', '-oL', 'tag'],
  shell: ['sh', '-c', 'tag | cat'],
};

function config(): string {
  const tools = Object.entries(WRAPPED).map(([n, argv]) => `    ${n}: { command: ${JSON.stringify(argv)} },`).join('\n');
  const rules = Object.keys(WRAPPED).map((n) => `    { name: '${n}', input: 'data/{doc}.txt', output: 'out/{doc}.${n}', tool: '${n}' },`).join('\n');
  return `export default {\n  tools: {\n${tools}\n  },\n  rules: [\n${rules}\n  ],\n};\n`;
}

describe('wrapped tools', () => {
  it('an upgraded wrapped executable reruns the stages of every wrapper', async () => {
    const q = (p = new Project({ 'pipeline.config.ts': config(), 'data/a.txt': 'x\n' }));
    q.write('bin/tag', TAG('v1'), 0o755);
    const env = { PATH: `${q.path('bin')}:${process.env['PATH'] ?? ''}` };
    const first = await q.cli(['build'], env);
    expect(first.code, first.stderr).toBe(0);
    for (const n of Object.keys(WRAPPED)) expect(q.read(`out/a.${n}`), n).toBe('v1 x\n');
    q.takeRuns();

    q.write('bin/tag', TAG('v2'), 0o755);
    const why = await q.cli(['why', 'out/a.stdbuf'], env);
    expect(why.stdout).toMatch(/tool executable bin\/tag changed/);
    const second = await q.cli(['build'], env);
    expect(second.code, second.stderr).toBe(0);
    for (const n of Object.keys(WRAPPED)) expect(q.read(`out/a.${n}`), n).toBe('v2 x\n');
    expect(q.takeRuns()).toHaveLength(Object.keys(WRAPPED).length);
  });

  it('a file a `sh -c` script names is part of the identity', async () => {
    const cfg = `export default {
  tools: { t: { command: ['sh', '-c', 'sed "s/^/$(head -n1 models/m.txt) /" | cat'] }, u: { command: ['sh', '-c', 'cat models/prefix.txt -'] } },
  rules: [
    { name: 't', input: 'data/{doc}.txt', output: 'out/{doc}.t', tool: 't' },
    { name: 'u', input: 'data/{doc}.txt', output: 'out/{doc}.u', tool: 'u' },
  ],
};
`;
    const q = (p = new Project({ 'pipeline.config.ts': cfg, 'data/a.txt': 'x\n', 'models/m.txt': 'M1\n', 'models/prefix.txt': 'P1\n' }));
    const first = await q.cli(['build']);
    expect(first.code).toBe(0);
    // Said once per project, on the build that first meets the tool.
    expect(first.stderr).toMatch(/note: tool t's identity does not cover: commands named by variables/);
    expect(first.stderr).not.toMatch(/tool u's identity/);
    q.write('data/b.txt', 'y\n');
    const later = await q.cli(['build']);
    expect(later.code).toBe(0);
    expect(later.stderr).not.toMatch(/identity does not cover/);
    expect(q.read('out/a.u')).toBe('P1\nx\n');
    q.write('models/prefix.txt', 'P2\n');
    const why = await q.cli(['why', 'out/a.u']);
    expect(why.stdout).toMatch(/tool file models\/prefix\.txt changed/);
    // The other script reads its model through a substitution the identity cannot see: why says so.
    const hidden = await q.cli(['why', 'out/a.t']);
    expect(hidden.stdout).toMatch(/identity does not cover: commands named by variables or substitutions/);
    expect((await q.cli(['build'])).code).toBe(0);
    expect(q.read('out/a.u')).toBe('P2\nx\n');
  });

  it('`files` globs hash every matching file, and a new match reruns', async () => {
    const cfg = `export default {
  tools: { spell: { command: ['sh', '-c', 'cat dict/en_US.aff -'], files: ['dict/en_US.*'] } },
  rules: [{ name: 'spell', input: 'data/{doc}.txt', output: 'out/{doc}.sp', tool: 'spell' }],
};
`;
    const q = (p = new Project({ 'pipeline.config.ts': cfg, 'data/a.txt': 'x\n', 'dict/en_US.aff': 'AFF\n', 'dict/en_US.dic': 'one\n', 'dict/de_DE.dic': 'eins\n' }));
    expect((await q.cli(['build'])).code).toBe(0);
    await q.pastRacyWindow();
    expect((await q.cli(['build', '--json'])).stdout).not.toMatch(/"type":"start"/);
    q.write('dict/de_DE.dic', 'zwei\n');
    expect((await q.cli(['why', 'out/a.sp'])).stdout).toMatch(/is up to date/);
    q.write('dict/en_US.dic', 'two\n');
    expect((await q.cli(['why', 'out/a.sp'])).stdout).toMatch(/tool file dict\/en_US\.dic changed/);
    expect((await q.cli(['build'])).code).toBe(0);
    await q.pastRacyWindow();
    q.write('dict/en_US.extra', 'new\n');
    await q.pastRacyWindow();
    const added = await q.cli(['build', '--json']);
    expect(added.stdout).toMatch(/"type":"start"/);
    expect(added.stdout).toMatch(/dict\/en_US\.extra is new to its identity/);
    // A glob that matches nothing is a missing tool file, named.
    q.write('pipeline.config.ts', cfg.replace('dict/en_US.*', 'dict/fr_FR.*'));
    const missing = await q.cli(['build']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/dict\/fr_FR\.\*/);
  });
});

describe('wrappedCommands', () => {
  it('reads through wrapper options', () => {
    expect(wrappedCommands(['stdbuf', '-o', 'L', 'lt-proc', 'x.bin']).commands).toEqual(['lt-proc']);
    expect(wrappedCommands(['/usr/bin/env', '-u', 'X', 'A=1', 'B=2', 'sort', '-k1']).commands).toEqual(['sort']);
    expect(wrappedCommands(['timeout', '--signal=KILL', '10s', 'tool']).commands).toEqual(['tool']);
    expect(wrappedCommands(['nice', '-n5', 'nohup', 'tool']).commands).toEqual(['nohup', 'tool']);
    expect(wrappedCommands(['bash', '-c', 'exec tagger -m m.bin 2>/dev/null | LC_ALL=C sort -u; true']).commands).toEqual(['tagger', 'sort']);
    expect(wrappedCommands(['bash', '-c', 'exec tagger -m m.bin']).paths).toContain('m.bin');
    expect(wrappedCommands(['env', '-S', 'a b']).uncovered).not.toEqual([]);
    expect(wrappedCommands(['tool', 'stdbuf']).commands).toEqual([]);
  });
});
