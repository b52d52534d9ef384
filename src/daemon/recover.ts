// Finding the project's daemon when its socket cannot serve us, and ending it when it is
// stuck. The daemon is found by the store's owner record (.pipe/state.owner), or else by
// .pipe/daemon.json, and signalled only when /proc shows the recorded pid is still a pipe
// daemon that started when recorded (a reused pid is never signalled).
import { exitMs } from './bounds.js';
import { liveOwner, type OwnerState } from './owner.js';
import { readRecord, type DaemonPaths } from './paths.js';
import { isPipeDaemon } from './process-identity.js';
import { terminate, waitForExit } from './terminate.js';

export interface Recorded {
  pid: number;
  /** From the owner record; undefined for a daemon known only by daemon.json (an older version). */
  state: OwnerState | undefined;
}

/** The live pipe daemon the project's records name, if any. */
export function recordedDaemon(paths: DaemonPaths): Recorded | undefined {
  const owner = liveOwner(paths.pipeDir);
  if (owner !== undefined) return { pid: owner.pid, state: owner.state };
  const record = readRecord(paths.record);
  if (record !== undefined && record.pid !== process.pid && isPipeDaemon(record.pid, record.start)) return { pid: record.pid, state: undefined };
  return undefined;
}

export type Ended = { kind: 'exited'; pid: number } | { kind: 'killed'; pid: number } | { kind: 'stuck'; pid: number };

/**
 * Ends a daemon that cannot serve: one already stopping gets exitMs() to exit by itself;
 * then (or at once, if it claims to be serving) SIGTERM, and SIGKILL if that is ignored.
 */
export async function endDaemon(d: Recorded): Promise<Ended> {
  if (d.state === 'stopping' && (await waitForExit(d.pid, exitMs()))) return { kind: 'exited', pid: d.pid };
  return (await terminate(d.pid, exitMs())) ? { kind: 'killed', pid: d.pid } : { kind: 'stuck', pid: d.pid };
}
