// Through the daemon, each client's environment reaches the build; only what the tool can
// see that matters (its declared env, PATH, the locale) may restart its warm instances.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dcli, disposeWithDaemon } from '../daemon/daemon-rig.js';
import { Project, REPO } from '../rig.js';

const TOOL = join(REPO, 'test', 'fixtures', 'warm', 'upper_lines.py');
let p: Project | undefined;
afterEach(async () => {
  await disposeWithDaemon(p);
  p = undefined;
});

function starts(project: Project): number {
  try {
    return readFileSync(project.path('starts.log'), 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
}

describe('warm instances in the daemon', () => {
  it('survive a client environment that differs in unrelated variables, and restart for declared ones', async () => {
    p = new Project({
      'data/a.txt': 'one\n',
      'pipeline.config.ts': `export default {
  tools: { up: { command: [${JSON.stringify(TOOL)}], warm: true, env: ['MODEL'] } },
  rules: [{ name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' }],
};
`,
    });
    const project = p;
    const build = async (env: Record<string, string>): Promise<void> => {
      const r = await dcli(project, ['build'], { START_LOG: project.path('starts.log'), MODEL: 'm1', ...env });
      expect(r.code, r.stderr).toBe(0);
    };
    await build({ FOO: '2' });
    expect(starts(project)).toBe(1);

    project.write('data/a.txt', 'two\n');
    await build({ FOO: '3', SOME_TERMINAL_VAR: 'x' });
    expect(project.read('out/a.up')).toBe('TWO\n');
    expect(starts(project)).toBe(1);

    project.write('data/a.txt', 'three\n');
    await build({ MODEL: 'm2' });
    expect(project.read('out/a.up')).toBe('THREE\n');
    expect(starts(project)).toBe(2);
  });
});
