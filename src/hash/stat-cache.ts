// Maps a file's (size, mtime, ctime, inode) to its digest so unchanged files are never read.
// Hot path of every no-op build: one stat per file, no allocation when nothing changed.
import { statSync, type Stats } from 'node:fs';
import { digestFileSync, type Digest } from './digest.js';
import { unchangedSince, type FileStamp } from './file-stamp.js';

export interface StatEntry extends FileStamp {
  /** When the digest was taken: a file modified within the same clock tick is "racy". */
  hashedAt: number;
  digest: Digest;
  /** Check generation: equal to the cache's current one means stat'ed in this build. Not persisted. */
  checked: number;
}

export class StatCache {
  readonly entries: Map<string, StatEntry>;
  /** Entries added or changed in this process, to be persisted (null: deleted). */
  readonly #dirty = new Map<string, StatEntry | null>();
  /** Missing files seen in this generation. */
  readonly #missing = new Set<string>();
  #gen = 1;

  constructor(entries: Map<string, StatEntry>) {
    this.entries = entries;
  }

  /**
   * The entry for `path` (absolute) under `key`, current as of this generation, or
   * undefined when it is not a regular file. Reads the file only when its stat changed.
   */
  state(path: string, key: string = path): StatEntry | undefined {
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.checked === this.#gen) return cached;
    if (cached === undefined && this.#missing.has(key)) return undefined;
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) {
      if (cached !== undefined) {
        this.entries.delete(key);
        this.#dirty.set(key, null);
      }
      this.#missing.add(key);
      return undefined;
    }
    if (cached !== undefined && unchangedSince(cached, cached.hashedAt, st)) {
      cached.checked = this.#gen;
      return cached;
    }
    return this.record(key, st, digestFileSync(path, st.size));
  }

  /** Record a digest we already know (e.g. an output we just wrote and hashed). */
  record(key: string, st: Stats, digest: Digest): StatEntry {
    const entry: StatEntry = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hashedAt: Date.now(), digest, checked: this.#gen };
    this.entries.set(key, entry);
    this.#dirty.set(key, entry);
    this.#missing.delete(key);
    return entry;
  }

  /**
   * Stats every known file once; an unchanged one counts as checked for this generation (the
   * build that may follow will not stat it again). Returns the keys that changed (or went
   * missing, or are too recent to trust).
   */
  verifyAll(root: string): string[] {
    const changed: string[] = [];
    for (const [key, e] of this.entries) {
      if (e.checked === this.#gen) continue;
      const st = statSync(key.startsWith('/') ? key : `${root}/${key}`, { throwIfNoEntry: false });
      if (st !== undefined && st.isFile() && unchangedSince(e, e.hashedAt, st)) e.checked = this.#gen;
      else changed.push(key);
    }
    return changed;
  }

  forget(key: string): void {
    const e = this.entries.get(key);
    if (e !== undefined) e.checked = 0;
    this.#missing.delete(key);
  }

  /** Start a new generation: every file is stat'ed again on next use (daemon, watch). */
  newGeneration(): void {
    this.#gen++;
    this.#missing.clear();
  }

  takeDirty(): Map<string, StatEntry | null> {
    const d = new Map(this.#dirty);
    this.#dirty.clear();
    return d;
  }

  /** Puts back entries whose write failed; a newer change to the same key wins. */
  restoreDirty(d: ReadonlyMap<string, StatEntry | null>): void {
    for (const [k, e] of d) if (!this.#dirty.has(k)) this.#dirty.set(k, e);
  }
}
