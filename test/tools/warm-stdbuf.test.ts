// Item: "silent waits". A C stdio tool block-buffers a pipe, so warm it would sit on its
// answers until the deadline. docpipe runs warm tools under coreutils' stdbuf -oL, so a
// plain `tr` (no stdbuf in the config) answers.
import { afterEach, describe, expect, it } from 'vitest';
import { Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

describe('block-buffered C tools warm', () => {
  it('a warm `tr a-z A-Z` with no stdbuf in its config answers each document', async () => {
    p = new Project({
      'data/a.txt': 'hello\nworld\n',
      'data/b.txt': 'second document\n',
      // A short deadline: without line buffering the first record would time out.
      'pipeline.config.ts': `export default {
  tools: { up: { command: ['tr', 'a-z', 'A-Z'], warm: true, instances: 1, timeoutMs: 5000, startupMs: 5000 } },
  rules: [{ name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' }],
};
`,
    });
    const r = await p.cli(['build', '--no-daemon', '-j', '1']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(p.read('out/a.up')).toBe('HELLO\nWORLD\n');
    expect(p.read('out/b.up')).toBe('SECOND DOCUMENT\n');
  }, 60_000);
});
