// `pipe status` counts a task as fresh only when it was found fresh: tasks behind a failing
// upstream (whose outputs do not exist) are blocked, not fresh.
import { afterEach, expect, it } from 'vitest';
import { Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

it('tasks downstream of a stage that cannot run are blocked, not fresh', async () => {
  p = new Project({
    'pipeline.config.ts': `export default { rules: [
  { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] },
  { name: 'parse', input: 'out/{doc}.tok', output: 'out/{doc}.parse', command: ['parse'] },
  { name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats'] },
] };\n`,
    'data/a.txt': 'a b\n',
  });
  // The tokenizer's executable is missing: tokenize cannot run, so nothing downstream can.
  const r = await p.cli(['status', '--json'], { PATH: '/usr/bin:/bin' });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const rules = (JSON.parse(r.stdout) as { rules: Record<string, { fresh: number; stale: number; missing: number; blocked: number }> }).rules;
  expect(rules).toEqual({
    tokenize: { fresh: 0, stale: 0, missing: 0, blocked: 1 },
    parse: { fresh: 0, stale: 0, missing: 0, blocked: 1 },
    stats: { fresh: 0, stale: 0, missing: 0, blocked: 1 },
  });
  expect(p.exists('out/a.parse')).toBe(false);
});
