// Starts a project's daemon in the background and waits, with a bound, until it answers.
// Its stdout and stderr go to .pipe/daemon.log; a client whose daemon did not come up shows
// the log's tail. Loaded only when no daemon answered.
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unreachable } from '../util/result.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { answers } from './conversation.js';
import { liveNoDaemonClient } from './no-daemon-marker.js';
import type { DaemonPaths } from './paths.js';
import { STORE_BUSY_STATUS } from './start-failure.js';

/** A log beyond this size is started afresh rather than appended to. */
const LOG_LIMIT = 1024 * 1024;

export type StartFailure =
  | { reason: 'daemon-exited'; code: number | null; signal: string | null }
  | { reason: 'daemon-timeout'; afterMs: number }
  /** The daemon found the state store held by another process and exited (STORE_BUSY_STATUS). */
  | { reason: 'store-busy' }
  | { reason: 'spawn-failed'; message: string };

export interface StartOptions {
  root: string;
  config: string | null;
  /** How long to wait for the socket to answer. */
  waitMs: number;
  /** Passed to `pipe daemon --idle-ms`; undefined: the daemon's default. */
  idleMs?: number | undefined;
}

export async function startDaemon(paths: DaemonPaths, o: StartOptions): Promise<{ ok: true } | { ok: false; error: StartFailure }> {
  ensurePrivateDir(paths.pipeDir);
  const tooBig = (statSync(paths.log, { throwIfNoEntry: false })?.size ?? 0) > LOG_LIMIT;
  const log = openSync(paths.log, tooBig ? 'w' : 'a', 0o600);
  const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  // A long-lived process whose live heap is small but whose builds make garbage in bursts:
  // a small young generation and a collection when idle keep its resident memory down.
  const args = ['--max-semi-space-size=2', '--expose-gc', main, 'daemon', '-C', o.root, ...(o.config !== null ? ['--config', o.config] : []), ...(o.idleMs !== undefined ? ['--idle-ms', String(o.idleMs)] : []), ...(process.env['PIPE_DAEMON_STAT_ALL'] === '1' ? ['--stat-all'] : [])];
  let exited: { code: number | null; signal: string | null } | undefined;
  try {
    const child = spawn(process.execPath, args, { cwd: o.root, detached: true, stdio: ['ignore', log, log], env: process.env });
    child.on('error', () => {});
    child.on('exit', (code, signal) => (exited = { code, signal }));
    child.unref();
  } catch (e) {
    return { ok: false, error: { reason: 'spawn-failed', message: (e as Error).message } };
  } finally {
    closeSync(log);
  }
  const started = Date.now();
  let delay = 5;
  for (;;) {
    if (await answers(paths.socket)) return { ok: true };
    // Exit status 0: another daemon won the race to start; keep waiting for its socket. Store
    // busy: that daemon may be about to listen, unless a --no-daemon build holds the store.
    const busy = exited?.code === STORE_BUSY_STATUS;
    if (exited !== undefined && exited.code !== 0 && !busy) return { ok: false, error: { reason: 'daemon-exited', ...exited } };
    if (exited !== undefined && liveNoDaemonClient(paths.pipeDir) !== undefined) return { ok: false, error: { reason: 'store-busy' } };
    if (Date.now() - started > o.waitMs) return { ok: false, error: busy ? { reason: 'store-busy' } : { reason: 'daemon-timeout', afterMs: o.waitMs } };
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

export function describeStartFailure(f: StartFailure): string {
  switch (f.reason) {
    case 'daemon-exited':
      return `the daemon exited at start (${f.signal !== null ? `killed by ${f.signal}` : `status ${f.code}`})`;
    case 'daemon-timeout':
      return `the daemon did not answer within ${f.afterMs} ms`;
    case 'store-busy':
      return 'the state store is held by another pipe process';
    case 'spawn-failed':
      return `could not start the daemon: ${f.message}`;
    default:
      return unreachable(f);
  }
}
