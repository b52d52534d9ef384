// Content-addressed copies of outputs under .pipe/cache/blobs, addressed by digest, with a
// stage key -> output digests index in the state store. Reverting an input or a model to an
// earlier content restores the earlier outputs without running the tool. LRU-bounded.
import { constants, copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../hash/digest.js';
import type { CacheEntry, StateStore } from './state-store.js';

export class OutputCache {
  readonly #store: StateStore;
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #dirs = new Set<string>();

  constructor(store: StateStore, pipeDir: string, maxBytes: number) {
    this.#store = store;
    this.#dir = join(pipeDir, 'cache', 'blobs');
    this.#maxBytes = maxBytes;
  }

  blobPath(d: Digest): string {
    return join(this.#dir, d.slice(0, 2), d);
  }

  /** The entry for a stage key, if every blob it names is still present. */
  async lookup(key: string): Promise<CacheEntry | undefined> {
    const entry = await this.#store.getCacheEntry(key);
    if (entry === undefined) return undefined;
    return entry.outputs.every(([, d]) => existsSync(this.blobPath(d))) ? entry : undefined;
  }

  async touch(entry: CacheEntry): Promise<void> {
    await this.#store.touchBlobs(entry.outputs.map(([, d]) => d), Date.now());
  }

  /**
   * Adds finished outputs to the cache. A blob is a hard link to the output when possible
   * (no copy); an output later edited in place would change its blob too, so restores
   * verify the digest and treat a mismatch as a miss.
   */
  async save(key: string, outputs: { abs: string; rel: string; digest: Digest; size: number }[]): Promise<void> {
    if (this.#maxBytes === 0) return;
    let added = 0;
    const now = Date.now();
    const blobs: [Digest, { size: number; lastUsed: number }][] = [];
    for (const o of outputs) {
      const blob = this.blobPath(o.digest);
      if (!existsSync(blob)) {
        const dir = join(blob, '..');
        if (!this.#dirs.has(dir)) {
          mkdirSync(dir, { recursive: true });
          this.#dirs.add(dir);
        }
        const tmp = `${blob}.${process.pid}.tmp`;
        try {
          linkSync(o.abs, tmp);
        } catch {
          copyFileSync(o.abs, tmp, constants.COPYFILE_FICLONE);
        }
        renameSync(tmp, blob);
        added += o.size;
      }
      blobs.push([o.digest, { size: o.size, lastUsed: now }]);
    }
    await this.#store.putCacheEntry(key, { outputs: outputs.map((o) => [o.rel, o.digest]) }, blobs, added);
    if (added > 0 && (await this.#store.cacheBytes()) > this.#maxBytes) await this.evict();
  }

  /** Drops least recently used blobs until the cache fits in 80% of its bound. */
  async evict(): Promise<void> {
    const blobs = (await this.#store.loadBlobs()).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let total = blobs.reduce((n, [, b]) => n + b.size, 0);
    const target = this.#maxBytes * 0.8;
    const gone: Digest[] = [];
    let freed = 0;
    for (const [d, info] of blobs) {
      if (total <= target) break;
      rmSync(this.blobPath(d), { force: true });
      gone.push(d);
      total -= info.size;
      freed += info.size;
    }
    if (gone.length > 0) await this.#store.removeBlobs(gone, freed);
  }

  async clear(): Promise<void> {
    rmSync(this.#dir, { recursive: true, force: true });
    await this.#store.clearCache();
  }
}

/** Size of a blob on disk, for restoring: a truncated blob is a miss, not an output. */
export function blobSize(path: string): number | undefined {
  return statSync(path, { throwIfNoEntry: false })?.size;
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
