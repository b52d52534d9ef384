// Warm tools inside `pipe build`: the same bytes as cold runs, one start per instance for
// many documents, clear failures, and never a document served by a stale tool.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Project, REPO } from '../rig.js';

const WARM = join(REPO, 'test', 'fixtures', 'warm');
let p: Project;
afterEach(() => p?.dispose());

function config(opts: { warm: boolean; tool?: string; instances?: number; extra?: string }): string {
  const tool = opts.tool ?? join(WARM, 'upper_lines.py');
  return `export default {
  tools: { up: { command: [${JSON.stringify(tool)}], warm: ${opts.warm}, instances: ${opts.instances ?? 1}${opts.extra ?? ''} } },
  rules: [
    { name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' },
    { name: 'count', input: 'out/{doc}.up', output: 'out/{doc}.wc', command: ['wc', '-l'] },
  ],
};
`;
}

function starts(): string[] {
  try {
    return readFileSync(p.path('starts.log'), 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

const DOCS: Record<string, string> = {
  'data/a.txt': 'one\ntwo\nthree\n',
  'data/b.txt': 'no trailing newline',
  'data/c.txt': '',
  'data/d.txt': '\n\nblank lines above\n',
  'data/e.txt': 'x'.repeat(200_000) + '\n' + 'y\n'.repeat(20_000),
};

describe('warm tools in pipe build', () => {
  it('produce byte-identical outputs to cold runs, starting the tool once', async () => {
    p = new Project({ ...DOCS, 'pipeline.config.ts': config({ warm: false }) });
    const cold = await p.cli(['build'], { START_LOG: p.path('starts.log') });
    expect(cold.code, cold.stderr).toBe(0);
    const coldOut = Object.keys(DOCS).map((d) => p.read(d.replace('data/', 'out/').replace('.txt', '.up')));
    expect(starts()).toHaveLength(5);

    p.remove('starts.log');
    p.remove('out');
    p.remove('.pipe');
    p.write('pipeline.config.ts', config({ warm: true }));
    const warm = await p.cli(['build', '-j', '2'], { START_LOG: p.path('starts.log') });
    expect(warm.code, warm.stderr).toBe(0);
    const warmOut = Object.keys(DOCS).map((d) => p.read(d.replace('data/', 'out/').replace('.txt', '.up')));
    expect(warmOut).toEqual(coldOut);
    // One instance, and one cold probe of how the tool ends an unterminated last line (b.txt).
    expect(starts()).toHaveLength(2);
  });

  it('a crash on one record fails that document with the tool, record and stderr; -k builds the rest', async () => {
    p = new Project({
      'data/a.txt': 'fine\n',
      'data/b.txt': 'ok\nCRASH\nnever\n',
      'data/c.txt': 'also fine\n',
      'pipeline.config.ts': config({ warm: true, tool: join(WARM, 'crash.py') }),
    });
    const r = await p.cli(['build', '-k', '-j', '1'], { START_LOG: p.path('starts.log') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("FAILED upper out/b.up: warm tool 'up' exited with status 3 at record 2");
    expect(r.stderr).toMatch(/fatal: cannot handle record \d/); // the fixture counts records over its lifetime
    expect(p.read('out/a.up')).toBe('FINE\n');
    expect(p.read('out/c.up')).toBe('ALSO FINE\n');
    expect(p.exists('out/b.up')).toBe(false);
    expect(p.exists('out/b.wc')).toBe(false);
  });

  it('a block-buffering tool times out with a hint that names the fix', async () => {
    p = new Project({
      'data/a.txt': 'x\n',
      'pipeline.config.ts': config({ warm: true, tool: 'stdio-buffered', extra: ', timeoutMs: 400, startupMs: 300' }),
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gave no answer within \d+ ms/);
    expect(r.stderr).toMatch(/stdbuf -oL/);
  });

  it('an edited tool rebuilds its outputs with the new version', async () => {
    p = new Project({ 'data/a.txt': 'abc\n', 'data/b.txt': 'def\n' });
    p.write('bin/t', '#!/bin/sh\nwhile IFS= read -r l; do echo "v1 $l"; done\n', 0o755);
    p.write('pipeline.config.ts', config({ warm: true, tool: 'bin/t' }));
    expect((await p.cli(['build'])).code).toBe(0);
    expect(p.read('out/a.up')).toBe('v1 abc\n');
    p.write('bin/t', '#!/bin/sh\nwhile IFS= read -r l; do echo "v2 $l"; done\n', 0o755);
    const r = await p.cli(['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('out/a.up')).toBe('v2 abc\n');
    expect(p.read('out/b.up')).toBe('v2 def\n');
  });

  it('a document whose answers did not line up is never recorded: the next build runs it again', async () => {
    p = new Project({
      'data/a.txt': 'fine\n',
      'data/b.txt': 'one\nEXTRA two\nthree\n',
      'pipeline.config.ts': config({ warm: true, tool: join(WARM, 'mid_extra.py') }),
    });
    for (let build = 0; build < 2; build++) {
      const r = await p.cli(['build', '-k', '-j', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("FAILED upper out/b.up: warm tool 'up' gave answers that do not line up");
      expect(r.stderr).toContain('"THREE\\n"'); // the last answer, one line late
      expect(p.exists('out/b.up')).toBe(false);
      expect(p.read('out/a.up')).toBe('FINE\n');
    }
  });

  it('keeps an unterminated last line unterminated, as the cold tool does', async () => {
    p = new Project({ 'data/a.txt': 'no final newline', 'data/b.txt': 'two\nlines' });
    // tr block-buffers a pipe; stdbuf -oL makes it flush each line, as a warm tool must.
    p.write('pipeline.config.ts', config({ warm: true, tool: 'stdbuf' }).replace('["stdbuf"]', `['stdbuf', '-oL', 'tr', 'a-z', 'A-Z']`));
    const r = await p.cli(['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('out/a.up')).toBe('NO FINAL NEWLINE');
    expect(p.read('out/b.up')).toBe('TWO\nLINES');
  });
});
