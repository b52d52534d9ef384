// The one atomic file write: a temp file beside the target, then rename. A reader never sees
// half a file, a crash leaves the old file (or none), and a failed write leaves no temp file.
// node:fs only: the daemon client and the `pipe run` client load this on every call.
import { renameSync, rmSync, writeFileSync } from 'node:fs';

let counter = 0;

/** Writes `data` to `path` atomically. Throws the write's error after removing the temp file. */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
  // Same directory as the target, so the rename never crosses a file system (EXDEV).
  const tmp = `${path}.${process.pid}.${counter++}.tmp`;
  try {
    writeFileSync(tmp, data, options.mode === undefined ? {} : { mode: options.mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
