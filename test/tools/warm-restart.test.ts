// Item: framings real tools need — a tool that keeps state across records (awk's NR) gives
// each document a fresh instance with `restart: 'per-document'`, so every output is what a
// cold run on that document prints.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Project, REPO } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

const config = (restart: string): string => `export default {
  tools: { number: { command: ['awk', '{ print NR ": " $0; fflush() }'], warm: { sentinel: false }, instances: 1${restart} } },
  rules: [{ name: 'number', input: 'data/{doc}.txt', output: 'out/{doc}.num', tool: 'number' }],
};
`;

describe("restart: 'per-document'", () => {
  it('numbers every document from 1, as cold awk does', async () => {
    p = new Project({ 'data/a.txt': 'x\ny\n', 'data/b.txt': 'z\n', 'data/c.txt': 'u\nv\nw\n', 'pipeline.config.ts': config(", restart: 'per-document'") });
    const r = await p.cli(['build', '--no-daemon', '-j', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect([p.read('out/a.num'), p.read('out/b.num'), p.read('out/c.num')]).toEqual(['1: x\n2: y\n', '1: z\n', '1: u\n2: v\n3: w\n']);
  }, 60_000);

  it('is refused with the field named when misspelt', async () => {
    p = new Project({ 'data/a.txt': 'x\n', 'pipeline.config.ts': config(", restart: 'always'") });
    const r = await p.cli(['build', '--no-daemon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected 'never' or 'per-document'");
    expect(r.stderr).toContain('restart');
  }, 60_000);
});

describe('examples/line-numbers', () => {
  it('builds with the real tr and awk, every document numbered from 1', async () => {
    p = new Project();
    cpSync(join(REPO, 'examples', 'line-numbers'), p.root, { recursive: true });
    p.remove('out');
    p.remove('.pipe');
    const r = await p.cli(['build', '--no-daemon']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('out/one.num')).toBe('1: THE FIRST DOCUMENT\n2: HAS TWO LINES\n');
    expect(p.read('out/two.num')).toBe('1: THE SECOND ONE\n2: HAS\n3: THREE\n');
  }, 60_000);
});
