// watch (client -> daemon): `pipe watch [paths...]`. The daemon builds once, then after every
// batch of file changes, and sends one `output` line per rebuild until the client disconnects.
import { isObject, isStringArray, isStringRecord } from '../protocol.js';

export const WATCH = 'watch';

export interface WatchMessage {
  type: typeof WATCH;
  /** Project-relative paths to watch; empty: the directories of the rules' source patterns. */
  paths: string[];
  prune: boolean;
  jobs: number;
  env: Record<string, string>;
}

export function isWatchMessage(m: unknown): m is WatchMessage {
  return (
    isObject(m) &&
    m['type'] === WATCH &&
    isStringArray(m['paths']) &&
    typeof m['prune'] === 'boolean' &&
    Number.isInteger(m['jobs']) &&
    (m['jobs'] as number) >= 1 &&
    isStringRecord(m['env'])
  );
}
