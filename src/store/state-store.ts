// The LevelDB state under .pipe/state. This is the only module that knows the key layout:
//   f:<path>    -> StatEntry      file digest cache (size, mtime, ctime, inode -> digest)
//   t:<task>    -> TaskRecord     what a task was last built from, and what it produced
//   c:<key>     -> CacheEntry     stage key -> output digests (content-addressed cache)
//   b:<digest>  -> BlobInfo       cached blob size and last use, for LRU eviction
//   m:<name>    -> meta values (schema version, cache size)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../hash/digest.js';
import type { StatEntry } from '../hash/stat-cache.js';
import { err, ok, type Result } from '../util/result.js';

const SCHEMA = '1';

/** One part of a tool's identity, kept so `pipe why` can name what changed. */
export interface IdentityPart {
  kind: 'executable' | 'file' | 'env';
  name: string;
  digest: string;
}

export interface TaskRecord {
  rule: string;
  /** Canonical fingerprint string: equal fingerprints mean the task is up to date. */
  fingerprint: string;
  command: string[];
  tool: { digest: string; parts: IdentityPart[] };
  inputs: [path: string, digest: Digest][];
  outputs: [path: string, digest: Digest][];
  builtAt: number;
}

export interface CacheEntry {
  outputs: [path: string, digest: Digest][];
}

export interface BlobInfo {
  size: number;
  lastUsed: number;
}

export type StoreFailure =
  | { reason: 'store-locked'; dir: string; waitedMs: number }
  | { reason: 'store-unreadable'; dir: string; message: string };

type Db = import('level').Level<string, string>;

export class StateStore {
  readonly #db: Db;
  readonly dir: string;

  private constructor(db: Db, dir: string) {
    this.#db = db;
    this.dir = dir;
  }

  /**
   * Opens (creating) the store. LevelDB admits one process at a time; another `pipe` holding
   * it is waited for up to `waitMs`, then reported, never crashed on.
   */
  static async open(pipeDir: string, waitMs = 30_000): Promise<Result<StateStore, StoreFailure>> {
    const dir = join(pipeDir, 'state');
    mkdirSync(dir, { recursive: true });
    const { Level } = await import('level');
    const started = Date.now();
    let delay = 20;
    for (;;) {
      const db: Db = new Level<string, string>(dir, { valueEncoding: 'utf8' });
      try {
        await db.open();
        const store = new StateStore(db, dir);
        const schema = await db.get('m:schema');
        if (schema === undefined) await db.put('m:schema', SCHEMA);
        else if (schema !== SCHEMA) {
          // An older layout: start afresh rather than misread it. Outputs are rebuilt.
          await db.clear();
          await db.put('m:schema', SCHEMA);
        }
        return ok(store);
      } catch (e) {
        const code = (e as { cause?: { code?: string } }).cause?.code;
        if (code !== 'LEVEL_LOCKED') {
          return err({ reason: 'store-unreadable', dir, message: (e as Error).message });
        }
        const waited = Date.now() - started;
        if (waited >= waitMs) return err({ reason: 'store-locked', dir, waitedMs: waited });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 500);
      }
    }
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  async #all(prefix: string): Promise<[string, string][]> {
    return this.#db.iterator({ gte: prefix, lt: prefix.slice(0, -1) + ';' }).all();
  }

  async loadStatEntries(): Promise<Map<string, StatEntry>> {
    const m = new Map<string, StatEntry>();
    for (const [k, v] of await this.#all('f:')) {
      const [size, mtimeMs, ctimeMs, ino, hashedAt, digest] = JSON.parse(v) as [number, number, number, number, number, Digest];
      m.set(k.slice(2), { size, mtimeMs, ctimeMs, ino, hashedAt, digest });
    }
    return m;
  }

  async loadTaskRecords(): Promise<Map<string, TaskRecord>> {
    const m = new Map<string, TaskRecord>();
    for (const [k, v] of await this.#all('t:')) m.set(k.slice(2), JSON.parse(v) as TaskRecord);
    return m;
  }

  /** Persist stat entries (null deletes) and task records (null deletes) in one batch. */
  async write(stats: Map<string, StatEntry | null>, tasks: Map<string, TaskRecord | null>): Promise<void> {
    if (stats.size === 0 && tasks.size === 0) return;
    const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = [];
    for (const [path, e] of stats) {
      if (e === null) ops.push({ type: 'del', key: 'f:' + path });
      else ops.push({ type: 'put', key: 'f:' + path, value: JSON.stringify([e.size, e.mtimeMs, e.ctimeMs, e.ino, e.hashedAt, e.digest]) });
    }
    for (const [id, r] of tasks) {
      if (r === null) ops.push({ type: 'del', key: 't:' + id });
      else ops.push({ type: 'put', key: 't:' + id, value: JSON.stringify(r) });
    }
    await this.#db.batch(ops);
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    const v = await this.#db.get('c:' + key);
    return v === undefined ? undefined : (JSON.parse(v) as CacheEntry);
  }

  async putCacheEntry(key: string, entry: CacheEntry, blobs: [Digest, BlobInfo][], addedBytes: number): Promise<void> {
    const ops: { type: 'put'; key: string; value: string }[] = [{ type: 'put', key: 'c:' + key, value: JSON.stringify(entry) }];
    for (const [d, info] of blobs) ops.push({ type: 'put', key: 'b:' + d, value: JSON.stringify(info) });
    if (addedBytes !== 0) ops.push({ type: 'put', key: 'm:cacheBytes', value: String((await this.cacheBytes()) + addedBytes) });
    await this.#db.batch(ops);
  }

  async touchBlobs(digests: readonly Digest[], now: number): Promise<void> {
    const ops: { type: 'put'; key: string; value: string }[] = [];
    for (const d of digests) {
      const v = await this.#db.get('b:' + d);
      if (v === undefined) continue;
      const info = JSON.parse(v) as BlobInfo;
      ops.push({ type: 'put', key: 'b:' + d, value: JSON.stringify({ ...info, lastUsed: now }) });
    }
    if (ops.length > 0) await this.#db.batch(ops);
  }

  async cacheBytes(): Promise<number> {
    const v = await this.#db.get('m:cacheBytes');
    return v === undefined ? 0 : Number(v);
  }

  async loadBlobs(): Promise<[Digest, BlobInfo][]> {
    return (await this.#all('b:')).map(([k, v]) => [k.slice(2) as Digest, JSON.parse(v) as BlobInfo]);
  }

  async removeBlobs(digests: readonly Digest[], freedBytes: number): Promise<void> {
    const ops: ({ type: 'del'; key: string } | { type: 'put'; key: string; value: string })[] = digests.map((d) => ({ type: 'del', key: 'b:' + d }));
    ops.push({ type: 'put', key: 'm:cacheBytes', value: String(Math.max(0, (await this.cacheBytes()) - freedBytes)) });
    await this.#db.batch(ops);
  }

  async clearCache(): Promise<void> {
    await this.#db.clear({ gte: 'c:', lt: 'c;' });
    await this.#db.clear({ gte: 'b:', lt: 'b;' });
    await this.#db.del('m:cacheBytes');
  }
}
