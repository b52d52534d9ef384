// Daemons racing for one project: a daemon that finds the state store held exits at once
// (it never waits for the store, so it cannot take over after a `pipe stop`), concurrent
// first builds leave no daemon behind a `pipe stop`, and `--no-daemon` clients mixed with
// daemon clients all succeed: the daemon finishes the jobs it has, then hands over the store.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, pmbConfig, Project } from '../rig.js';
import { alive, daemonEnv, daemonRecord, dcli, disposeWithDaemon, waitFor } from './daemon-rig.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

function project(docs: number, extra: Record<string, string> = {}): Project {
  const files: Record<string, string> = { 'pipeline.config.ts': pmbConfig(), 'models/parse.model': 'v1\n', ...extra };
  for (let i = 0; i < docs; i++) files[`data/d${i}.txt`] = `Document number ${i} .\n`;
  const p = new Project(files);
  projects.push(p);
  return p;
}

/** Pids of every daemon that wrote to the project's log (winners and losers). */
function loggedDaemons(p: Project): number[] {
  const log = existsSync(p.path('.pipe/daemon.log')) ? readFileSync(p.path('.pipe/daemon.log'), 'utf8') : '';
  return [...new Set([...log.matchAll(/^\S+ \[(\d+)\]/gm)].map((m) => Number(m[1])))];
}

describe('daemon races', () => {
  it('a daemon that finds the state store held exits at once with the store-busy status, writing no record', async () => {
    const p = project(1);
    mkdirSync(p.path('.pipe/state'), { recursive: true });
    const holder = new Level(p.path('.pipe/state'));
    await holder.open();
    try {
      const child = spawn(process.execPath, [CLI, 'daemon', '-C', p.root], { cwd: p.root, env: p.env(daemonEnv()), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(stderr).toContain('not started: the state store is held by another pipe process; not waiting for it');
      expect(code).toBe(75);
      expect(daemonRecord(p)).toBeUndefined();
      expect(existsSync(p.path('.pipe/daemon.sock'))).toBe(false);
    } finally {
      await holder.close();
    }
  });

  it('concurrent first clients start racing daemons; after pipe stop none is left, and a removed project stays removed', async () => {
    const p = project(4);
    // Quick requests, and a stop right after: a loser still waiting for the store would take over.
    const results = await Promise.all(Array.from({ length: 6 }, () => dcli(p, ['status'])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect((await dcli(p, ['stop'])).code).toBe(0);
    const pids = loggedDaemons(p);
    expect(pids.length).toBeGreaterThan(0);
    await waitFor(() => `every daemon of the project (${pids.join(', ')}) to exit; alive: ${pids.filter(alive).join(', ')}`, () => pids.every((pid) => !alive(pid)));
    rmSync(p.root, { recursive: true, force: true });
    // A straggler would have re-created it by now: every daemon that ever started is gone.
    expect(pids.every((pid) => !alive(pid))).toBe(true);
    expect(existsSync(p.root)).toBe(false);
  });

  it('8 mixed clients: --no-daemon waits for the daemon’s jobs instead of cancelling them; all succeed, nothing runs twice', async () => {
    const p = project(1, {
      'pipeline.config.ts': `export default {
  rules: [{ name: 'slow', input: 'data/{doc}.txt', output: 'out/{doc}.slow', command: ['slow'] }],
};
`,
    });
    expect((await dcli(p, ['status'])).code).toBe(0); // a daemon is up
    const first = dcli(p, ['build'], { SLOW_SECONDS: '2' });
    await waitFor('the slow tool to start in the daemon', () => p.exists('tool.log') && p.read('tool.log').includes('slow'));
    const others = Array.from({ length: 7 }, (_, i) => dcli(p, i % 2 === 0 ? ['build', '--no-daemon'] : ['build'], { SLOW_SECONDS: '2' }));
    const all = [await first, ...(await Promise.all(others))];
    for (const r of all) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/cancelled|held by another pipe process \(waited/);
    }
    expect(p.read('out/d0.slow')).toBe('first half\nDocument number 0 .\n');
    expect(p.takeRuns().filter((l) => l.startsWith('slow'))).toHaveLength(1);
    // And the project still works through a daemon afterwards.
    expect((await dcli(p, ['build'])).code).toBe(0);
  });
});
