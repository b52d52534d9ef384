// Maps a file's (size, mtime, ctime, inode) to its digest so unchanged files are never read.
import { statSync, type Stats } from 'node:fs';
import { digestFileSync, type Digest } from './digest.js';

export interface StatEntry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** When the digest was taken: a file modified within the same clock tick is "racy". */
  hashedAt: number;
  digest: Digest;
}

/**
 * A file whose mtime is this close to the moment we hashed it may have been written again
 * within the same timestamp tick (git's "racily clean" problem), so we do not trust it.
 */
const RACY_WINDOW_MS = 20;

export type FileState = { exists: false } | { exists: true; digest: Digest; size: number };

export class StatCache {
  readonly #entries: Map<string, StatEntry>;
  /** Entries added or changed in this process, to be persisted. */
  readonly #dirty = new Map<string, StatEntry | null>();
  /** Per-build memo: a path is stat'ed at most once between invalidations. */
  readonly #memo = new Map<string, FileState>();

  constructor(entries: Map<string, StatEntry>) {
    this.#entries = entries;
  }

  /** Current digest of `path` (absolute), reading the file only when its stat changed. */
  state(path: string, key: string = path): FileState {
    const memo = this.#memo.get(key);
    if (memo !== undefined) return memo;
    const st = statSync(path, { throwIfNoEntry: false });
    let result: FileState;
    if (st === undefined || !st.isFile()) {
      if (this.#entries.delete(key)) this.#dirty.set(key, null);
      result = { exists: false };
    } else {
      const cached = this.#entries.get(key);
      if (cached !== undefined && sameStat(cached, st) && !isRacy(cached)) {
        result = { exists: true, digest: cached.digest, size: st.size };
      } else {
        const digest = digestFileSync(path);
        this.record(key, st, digest);
        result = { exists: true, digest, size: st.size };
      }
    }
    this.#memo.set(key, result);
    return result;
  }

  /** Record a digest we already know (e.g. an output we just wrote and hashed). */
  record(key: string, st: Stats, digest: Digest): void {
    const entry: StatEntry = {
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ino: st.ino,
      hashedAt: Date.now(),
      digest,
    };
    this.#entries.set(key, entry);
    this.#dirty.set(key, entry);
    this.#memo.set(key, { exists: true, digest, size: st.size });
  }

  forget(key: string): void {
    this.#memo.delete(key);
  }

  /** Drop the per-build memo so the next `state` call stats again (daemon, watch). */
  resetMemo(): void {
    this.#memo.clear();
  }

  takeDirty(): Map<string, StatEntry | null> {
    const d = new Map(this.#dirty);
    this.#dirty.clear();
    return d;
  }
}

function sameStat(e: StatEntry, st: Stats): boolean {
  return e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs && e.ino === st.ino;
}

function isRacy(e: StatEntry): boolean {
  return e.mtimeMs >= e.hashedAt - RACY_WINDOW_MS || e.ctimeMs >= e.hashedAt - RACY_WINDOW_MS;
}
