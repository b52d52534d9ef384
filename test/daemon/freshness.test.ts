// The daemon answers builds from what its file events told it; every change that matters
// must still be seen, immediately after it is made: a source, a model file, an output
// edited or deleted by hand, a symlinked source whose target lives elsewhere, a tool on
// PATH outside the project, a removed output directory, a new source.
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, pmbConfig, Project } from '../rig.js';
import { daemonRecord, dcli, disposeWithDaemon } from './daemon-rig.js';

let p: Project | undefined;
const outside: string[] = [];
afterEach(async () => {
  await disposeWithDaemon(p);
  p = undefined;
  for (const d of outside.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function build(extraEnv: Record<string, string> = {}): Promise<string[]> {
  if (p === undefined) throw new Error('no project');
  const r = await dcli(p, ['build'], extraEnv);
  expect(r.code, r.stderr).toBe(0);
  return p.takeRuns();
}

describe('freshness through the daemon', () => {
  it('sees every kind of change right after it is made, and nothing else', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'docpipe-elsewhere-'));
    outside.push(elsewhere);
    writeFileSync(join(elsewhere, 'linked.txt'), 'Linked text .\n');
    p = new Project({
      'pipeline.config.ts': pmbConfig(),
      'models/parse.model': 'v1\n',
      'data/x.txt': 'The cat sat .\n',
      'data/y.txt': 'A dog barked .\n',
    });
    symlinkSync(join(elsewhere, 'linked.txt'), p.path('data/l.txt'));
    expect(await build()).toHaveLength(7);
    const pid = daemonRecord(p)?.pid;
    for (let i = 0; i < 3; i++) expect(await build()).toEqual([]);

    p.write('data/x.txt', 'The cat ran .\n');
    expect(await build()).toEqual(['tok ', 'parse -m models/parse.model', 'stats ']);
    expect(p.read('out/x.parse')).toBe('v1|4|The cat ran .\n');

    p.write('models/parse.model', 'v2\n');
    expect((await build()).filter((r) => r.startsWith('parse'))).toHaveLength(3);
    expect(p.read('out/y.parse')).toBe('v2|4|A dog barked .\n');

    p.write('out/y.parse', 'edited by hand\n');
    expect(await build()).toEqual(['parse -m models/parse.model']);
    expect(p.read('out/y.parse')).toBe('v2|4|A dog barked .\n');

    p.remove('out/x.tok');
    expect(await build()).toEqual([]); // restored from the output cache
    expect(p.read('out/x.tok')).toBe('The cat ran .\n');

    writeFileSync(join(elsewhere, 'linked.txt'), 'Linked text changed .\n');
    expect(await build()).toEqual(['tok ', 'parse -m models/parse.model', 'stats ']);
    expect(p.read('out/l.parse')).toBe('v2|4|Linked text changed .\n');

    const withoutZ = p.read('out/corpus.stats');
    p.write('data/z.txt', 'A new document .\n');
    expect((await build()).sort()).toEqual(['parse -m models/parse.model', 'stats ', 'tok ']);
    const withZ = p.read('out/corpus.stats');
    expect(withZ).not.toBe(withoutZ);
    p.remove('data/z.txt');
    expect(await build()).toEqual([]); // the statistics without z come back from the cache
    expect(p.read('out/corpus.stats')).toBe(withoutZ);

    p.remove('out');
    await build(); // from the output cache
    expect(p.read('out/x.parse')).toBe('v2|4|The cat ran .\n');
    expect(p.read('out/corpus.stats')).toBe(withoutZ);
    for (let i = 0; i < 2; i++) expect(await build()).toEqual([]);
    expect(daemonRecord(p)?.pid).toBe(pid);
  });

  it('sees a change to a tool found on PATH outside the project', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'docpipe-bin-'));
    outside.push(bin);
    const tool = (suffix: string): void => {
      writeFileSync(join(bin, 'shout'), `#!/bin/sh\n[ -n "$TOOL_LOG" ] && echo "shout $*" >> "$TOOL_LOG"\ntr a-z A-Z\necho '${suffix}'\n`);
      chmodSync(join(bin, 'shout'), 0o755);
    };
    tool('v1');
    p = new Project({
      'pipeline.config.ts': `export default { rules: [{ name: 'shout', input: 'data/{doc}.txt', output: 'out/{doc}.up', command: ['shout'] }] };\n`,
      'data/a.txt': 'hello\n',
    });
    const env = { PATH: `${bin}:${FIXTURES}:${process.env['PATH'] ?? ''}` };
    expect(await build(env)).toEqual(['shout ']);
    expect(await build(env)).toEqual([]);
    tool('v2');
    expect(await build(env)).toEqual(['shout ']);
    expect(p.read('out/a.up')).toBe('HELLO\nv2\n');
    expect(await build(env)).toEqual([]);
  });
});
