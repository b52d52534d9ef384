// The one way `.pipe/` (state, cache, logs, sockets) and its private subdirectories are made:
// owner-only (0700), whatever the umask, and tightened when an older docpipe left it 0755.
// node:fs only: daemon clients load this on every call.
import { chmodSync, mkdirSync, statSync } from 'node:fs';

/** Creates `dir` (and missing parents) and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}
