// The scheduler's one exception guard: a throw inside a task (a bug, or a system error the
// code did not expect) fails that task with a value; the build, and the daemon, carry on.
import { readFileSync, symlinkSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import type { BuildEvent } from '../../src/engine/events.js';
import { runBuild } from '../../src/engine/scheduler.js';
import { Session } from '../../src/engine/session.js';
import { Project } from '../rig.js';
import { daemonRecord, dcli, disposeWithDaemon } from '../daemon/daemon-rig.js';

let p: Project | undefined;
afterEach(async () => {
  await disposeWithDaemon(p);
  p = undefined;
});

it('a task body that throws fails with internal-error and its stack in the log; other tasks build', async () => {
  p = new Project({
    'pipeline.config.ts': `export default {
  tools: { upper: { command: ['tr', 'a-z', 'A-Z'], warm: true } },
  rules: [
    { name: 'shout', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'upper' },
    { name: 'count', input: 'data/{doc}.txt', output: 'out/{doc}.n', command: ['wc', '-c'] },
  ],
};\n`,
    'data/a.txt': 'abc\n',
  });
  const s = await Session.open({ root: p.root });
  if (!s.ok) throw new Error(JSON.stringify(s.error));
  const session = s.value;
  try {
    const loaded = await session.loadPipeline();
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    const plan = session.plan(loaded.value, await session.scan(loaded.value));
    if (!plan.ok) throw new Error(JSON.stringify(plan.error));
    const events: BuildEvent[] = [];
    // The warm hook is the scheduler's real seam for running a task's tool; this one has a bug.
    const summary = await runBuild(session, plan.value.tasks, {
      jobs: 2,
      keepGoing: true,
      dryRun: false,
      useCache: false,
      onEvent: (e) => events.push(e),
      warm: {
        run: () => Promise.reject(new TypeError('records is undefined')),
        prestart: () => {},
      },
    });
    expect(summary.ok).toBe(false);
    expect(summary.counts).toMatchObject({ built: 1, failed: 1 });
    const fail = events.find((e): e is Extract<BuildEvent, { type: 'fail' }> => e.type === 'fail');
    expect(fail).toMatchObject({ rule: 'shout', target: 'out/a.up', failure: { reason: 'internal-error', log: '.pipe/logs/internal-errors.log' } });
    expect(fail?.failure.reason === 'internal-error' && fail.failure.message).toBe('records is undefined');
    expect(readFileSync(p.path('.pipe/logs/internal-errors.log'), 'utf8')).toMatch(/TypeError: records is undefined\n\s+at /);
    expect(p.read('out/a.n').trim()).toBe('4');
  } finally {
    await session.close();
  }
});

it('a system error while checking freshness (a tool argument that is a symlink loop) fails the task; the daemon keeps serving', async () => {
  p = new Project({
    'pipeline.config.ts': "export default { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok', 'loop'] }] };\n",
    'data/a.txt': 'a  b\n',
  });
  symlinkSync('loop', p.path('loop'));
  let r = await dcli(p, ['build']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^FAILED tokenize out\/a\.tok: stat loop failed: too many levels of symbolic links \(ELOOP\)$/m);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const pid = daemonRecord(p)?.pid;
  expect(pid).toBeDefined();

  p.remove('loop');
  p.write('loop', 'now a file\n');
  r = await dcli(p, ['build']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(daemonRecord(p)?.pid).toBe(pid);
});
