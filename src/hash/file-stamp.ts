// The one stat check. A file is taken as unchanged when its size, mtime, ctime and inode
// equal those recorded, and it was not modified within the racy window of the moment it was
// hashed (git's "racily clean" rule: a write in the same timestamp tick as the hash leaves
// the same stat). The stat cache, the config cache and the daemon use this, nothing else.
import type { Stats } from 'node:fs';

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/**
 * A file whose mtime or ctime is this close to the moment we hashed it may have been written
 * again within the same timestamp tick, so we do not trust its stat.
 */
export const RACY_WINDOW_MS = 20;

export function stampOf(st: Stats): FileStamp {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** Modified so close to `hashedAt` that an equal stat proves nothing. */
export function isRacy(stamp: FileStamp, hashedAt: number): boolean {
  return stamp.mtimeMs >= hashedAt - RACY_WINDOW_MS || stamp.ctimeMs >= hashedAt - RACY_WINDOW_MS;
}

/** The stat check: `now` (a fresh stat) shows the file as it was when hashed at `hashedAt`. */
export function unchangedSince(recorded: FileStamp, hashedAt: number, now: FileStamp): boolean {
  return sameStamp(recorded, now) && !isRacy(recorded, hashedAt);
}
