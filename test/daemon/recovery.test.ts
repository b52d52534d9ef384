// A daemon that cannot be reached must never leave the project unusable: a project directory
// re-created under a running daemon (its socket must not be removed by the old daemon), a
// socket file deleted under a live daemon, and a daemon that accepts but never answers
// (SIGSTOP) are all recovered by the next client, with a message.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pmbConfig, Project } from '../rig.js';
import { alive, daemonRecord, dcli, disposeWithDaemon, waitFor } from './daemon-rig.js';

const projects: Project[] = [];
const stopped: number[] = [];
afterEach(async () => {
  for (const pid of stopped.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

const FILES = {
  'pipeline.config.ts': pmbConfig(),
  'models/parse.model': 'v1\n',
  'data/x.txt': 'The  cat sat .\n',
  'data/y.txt': 'A dog barked .\n',
};

function project(): Project {
  const p = new Project(FILES);
  projects.push(p);
  return p;
}

function regenerate(p: Project): void {
  rmSync(p.root, { recursive: true, force: true });
  mkdirSync(p.root);
  for (const [f, c] of Object.entries(FILES)) p.write(f, c);
}

/** Short bounds so that a hung daemon is given up on quickly; never asserted on. */
const FAST = { PIPE_DAEMON_ANSWER_MS: '1500', PIPE_DAEMON_EXIT_MS: '2000' };

describe('daemon recovery', () => {
  it('a project re-created at the same path: the old daemon exits without removing the new one’s socket', async () => {
    const p = project();
    expect((await dcli(p, ['build'])).code).toBe(0);
    const old = daemonRecord(p)?.pid ?? -1;
    expect(alive(old)).toBe(true);

    // Frozen, the old daemon notices the new project only after the new daemon listens
    // (as it does when `rm -rf; regenerate; pipe build` is quicker than its periodic check).
    stopped.push(old);
    process.kill(old, 'SIGSTOP');
    regenerate(p);
    const second = await dcli(p, ['build']);
    expect(second.code, second.stderr).toBe(0);
    const fresh = daemonRecord(p)?.pid ?? -1;
    expect(fresh).not.toBe(old);
    process.kill(old, 'SIGCONT');
    await waitFor(`the old daemon (pid ${old}) to notice its project is gone and exit`, () => !alive(old));

    // The new daemon still owns its socket and answers the next build.
    expect(statSync(p.path('.pipe/daemon.sock')).isSocket()).toBe(true);
    p.write('data/z.txt', 'One more .\n');
    const third = await dcli(p, ['build']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).not.toContain('without it');
    expect(daemonRecord(p)?.pid).toBe(fresh);
    expect(p.exists('out/z.parse')).toBe(true);
  });

  it('a live daemon whose socket was deleted is found through the store owner record, stopped and replaced', async () => {
    const p = project();
    expect((await dcli(p, ['build'])).code).toBe(0);
    const old = daemonRecord(p)?.pid ?? -1;
    rmSync(p.path('.pipe/daemon.sock'));

    p.write('data/z.txt', 'One more .\n');
    const r = await dcli(p, ['build'], FAST);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the daemon (pid ${old}) holds the state store but does not answer`);
    expect(alive(old)).toBe(false);
    expect(p.exists('out/z.parse')).toBe(true);
    const fresh = daemonRecord(p)?.pid ?? -1;
    expect(fresh).not.toBe(old);
    expect(alive(fresh)).toBe(true);
  });

  describe('a daemon that accepts but does not answer (SIGSTOP)', () => {
    async function hung(): Promise<{ p: Project; pid: number }> {
      const p = project();
      expect((await dcli(p, ['build'])).code).toBe(0);
      const pid = daemonRecord(p)?.pid ?? -1;
      stopped.push(pid);
      process.kill(pid, 'SIGSTOP');
      return { p, pid };
    }

    it('pipe stop kills it', async () => {
      const { p, pid } = await hung();
      const r = await dcli(p, ['stop'], FAST);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`the daemon (pid ${pid}) did not answer`);
      expect(alive(pid)).toBe(false);
    });

    it('pipe build --no-daemon and pipe clean end it, then run in this process', async () => {
      const { p, pid } = await hung();
      p.write('data/z.txt', 'One more .\n');
      const b = await dcli(p, ['build', '--no-daemon'], FAST);
      expect(b.code, b.stderr).toBe(0);
      expect(alive(pid)).toBe(false);
      expect(p.exists('out/z.parse')).toBe(true);

      expect((await dcli(p, ['build'])).code).toBe(0);
      const second = daemonRecord(p)?.pid ?? -1;
      stopped.push(second);
      process.kill(second, 'SIGSTOP');
      const c = await dcli(p, ['clean'], FAST);
      expect(c.code, c.stderr).toBe(0);
      expect(alive(second)).toBe(false);
      expect(p.exists('out/z.parse')).toBe(false);
    });

    it('pipe build says what it waited for, ends it and builds through a new daemon', async () => {
      const { p, pid } = await hung();
      p.write('data/z.txt', 'One more .\n');
      const r = await dcli(p, ['build'], FAST);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`the daemon (pid ${pid}) accepted the connection but did not answer`);
      expect(alive(pid)).toBe(false);
      expect(p.exists('out/z.parse')).toBe(true);
      expect(alive(daemonRecord(p)?.pid ?? -1)).toBe(true);
    });
  });

  it('never signals a process the records name that is not that pipe daemon (pid reused, or another start)', async () => {
    const p = project();
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid ?? -1;
      mkdirSync(p.path('.pipe'), { recursive: true });
      writeFileSync(p.path('.pipe/state.owner'), JSON.stringify({ pid, state: 'serving', start: '1', socket: p.path('.pipe/daemon.sock') }));
      writeFileSync(p.path('.pipe/daemon.json'), JSON.stringify({ pid, socket: p.path('.pipe/daemon.sock'), version: '0', protocol: 1, root: p.root, config: null, startedAt: '' }));
      const r = await dcli(p, ['build']);
      expect(r.code, r.stderr).toBe(0);
      expect((await dcli(p, ['stop'])).code).toBe(0);
      expect(alive(pid)).toBe(true);
      expect(r.stderr).not.toContain(`pid ${pid}`);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('a daemon whose project directory was removed exits and does not re-create it', async () => {
    const p = project();
    expect((await dcli(p, ['build'])).code).toBe(0);
    const pid = daemonRecord(p)?.pid ?? -1;
    // Hold a copy of the log: the daemon's own log goes with the directory.
    const log = readFileSync(p.path('.pipe/daemon.log'), 'utf8');
    expect(log).toContain(`[${pid}]`);
    rmSync(p.root, { recursive: true, force: true });
    await waitFor(`the daemon (pid ${pid}) to exit after its project was removed`, () => !alive(pid));
    expect(existsSync(p.root)).toBe(false);
  });
});
