// Why `pipe daemon` did not start serving, and the exit status that tells its parent client.
import type { SessionFailure } from '../engine/session.js';
import { unreachable } from '../util/result.js';

export type DaemonStartFailure =
  /** Another daemon answers on the socket: the client uses that one. */
  | { reason: 'already-running'; pid: number | undefined }
  /** The state store is held by another process (a daemon about to listen, or a --no-daemon build). */
  | { reason: 'store-busy'; holder: string }
  /** The project directory no longer exists: a daemon never re-creates it. */
  | { reason: 'root-gone'; root: string }
  | { reason: 'session'; failure: SessionFailure }
  | { reason: 'listen'; socket: string; message: string };

/**
 * A daemon that lost a start race exits at once (never waiting for the store: it would take
 * over after a `pipe stop`), with a status its client understands: 0, use the daemon that
 * answers; STORE_BUSY_STATUS, build in-process (waiting for the store's lock).
 */
export const STORE_BUSY_STATUS = 75;

export function startFailureStatus(f: DaemonStartFailure): number {
  return f.reason === 'already-running' ? 0 : f.reason === 'store-busy' ? STORE_BUSY_STATUS : 1;
}

export function describeDaemonStartFailure(f: DaemonStartFailure, format: (s: SessionFailure) => string): string {
  switch (f.reason) {
    case 'already-running':
      return `a daemon is already running for this project${f.pid !== undefined ? ` (pid ${f.pid})` : ''}`;
    case 'store-busy':
      return `the state store is held by ${f.holder}; not waiting for it`;
    case 'root-gone':
      return `the project directory ${f.root} does not exist`;
    case 'session':
      return format(f.failure);
    case 'listen':
      return `cannot listen on ${f.socket}: ${f.message}`;
    default:
      return unreachable(f);
  }
}
