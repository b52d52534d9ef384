// On a terminal, progress is one line redrawn in place, then the summary; checked under a
// real pty (util-linux `script`).
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, pmbConfig, Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

describe('terminal progress', () => {
  it('redraws a single [n/total] line and leaves only the summary', () => {
    p = new Project({ 'pipeline.config.ts': pmbConfig(), 'models/parse.model': 'v1\n', 'data/a.txt': 'x y\n', 'data/b.txt': 'z\n' });
    const env = { ...p.env(), CI: '' };
    delete (env as Record<string, string | undefined>)['CI'];
    const raw = execFileSync('script', ['-qec', `stty cols 100 rows 30; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} build -j 1`, '/dev/null'], { cwd: p.root, env, encoding: 'utf8' });
    expect(raw).toMatch(/\[\d\/5\]/); // a progress line was drawn
    expect(raw).toContain('\u001b[2K'); // ...and erased in place (log-update)
    // eslint-disable-next-line no-control-regex
    const visible = raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    expect(visible.trim().split('\n').at(-1)).toMatch(/^pipe: 5 built, 0 up to date \([^)]+\)$/);
  });
});
