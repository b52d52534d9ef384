// A config that reads the environment means, through the daemon, what it means without it:
// the daemon evaluates it again for each job, in that job's client environment.
import { afterEach, describe, expect, it } from 'vitest';
import { Project } from '../rig.js';
import { daemonRecord, dcli, disposeWithDaemon } from '../daemon/daemon-rig.js';

let p: Project | undefined;
afterEach(async () => {
  await disposeWithDaemon(p);
  p = undefined;
});

const CONFIG = `export default {
  rules: [{ name: 'case', input: 'data/{doc}.txt', output: 'out/{doc}.txt', command: process.env.UPPER ? ['tr', 'a-z', 'A-Z'] : ['cat'] }],
};
`;

describe('a config that reads process.env, through the daemon', () => {
  it('is evaluated with each client environment', async () => {
    const q = (p = new Project({ 'pipeline.config.ts': CONFIG, 'data/a.txt': 'hello\n' }));
    const lower = await dcli(q, ['build'], { UPPER: '' });
    expect(lower.code, lower.stderr).toBe(0);
    expect(q.read('out/a.txt')).toBe('hello\n');
    const daemon = daemonRecord(q);
    expect(daemon, 'the first build started a daemon').toBeDefined();

    const upper = await dcli(q, ['build'], { UPPER: '1' });
    expect(upper.code, upper.stderr).toBe(0);
    expect(q.read('out/a.txt')).toBe('HELLO\n');

    const why = await dcli(q, ['why', 'out/a.txt'], { UPPER: '' });
    expect(why.stdout).toMatch(/command line changed/);

    const back = await dcli(q, ['build'], { UPPER: '' });
    expect(back.code, back.stderr).toBe(0);
    expect(q.read('out/a.txt')).toBe('hello\n');
    // The same daemon served every call: the environment did not force a restart.
    expect(daemonRecord(q)?.pid).toBe(daemon?.pid);
  });
});
