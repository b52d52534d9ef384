// The LevelDB state under .pipe/state. This is the only module that knows the key layout:
//   f:<path>    -> StatEntry      file digest cache (size, mtime, ctime, inode -> digest)
//   t:<task>    -> TaskRecord     stage key and output digests of the last build (hot: loaded whole)
//   x:<task>    -> TaskDetail     what it was built from, for `pipe why` (cold: read one at a time)
//   c:<key>     -> CacheEntry     stage key -> output digests (content-addressed cache)
//   b:<digest>  -> BlobInfo       cached blob size and last use, for LRU eviction
//   m:<name>    -> meta values (schema version, cache size, write generation)
// Beside the database, .pipe/snapshot.json holds every f: and t: value in one string, valid
// while its generation equals m:gen. Loading one file instead of ~50k keys is what makes a
// no-op fast; the per-key values stay the truth (written as tasks finish, crash-safe). It
// is a file rather than a value so that rewriting its megabytes costs LevelDB no compaction.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../hash/digest.js';
import type { StatEntry } from '../hash/stat-cache.js';
import { err, ok, type Result } from '../util/result.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const SCHEMA = '5';

/** One part of a tool's identity, kept so `pipe why` can name what changed. */
export interface IdentityPart {
  kind: 'executable' | 'file' | 'env';
  name: string;
  digest: string;
}

/** Loaded for every task at start, so kept small: equal keys and intact outputs mean fresh. */
export interface TaskRecord {
  /** Stage key: digest of the task's fingerprint (command, tool identity, input digests). */
  key: Digest;
  outputs: [path: string, digest: Digest][];
}

/** What a task was built from, read only to explain a rebuild. */
export interface TaskDetail {
  rule: string;
  command: string[];
  tool: { digest: string; parts: IdentityPart[] };
  /** The output settings in the stage key (engine/output-settings.ts); absent in older records. */
  settings?: string;
  inputs: [path: string, digest: Digest][];
  builtAt: number;
}

export type TaskWrite = { record: TaskRecord; detail: TaskDetail } | null;

/**
 * Written after a successful full build: the digest of everything that decides the plan
 * (config, scanned file list, environment). While it matches and no recorded file's stat
 * changed, a full build is known to be a no-op without planning.
 */
export interface CleanMarker {
  world: Digest;
  tasks: number;
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
  readonly #snapshotPath: string;
  #gen = 0;
  /** Running total of cached blob bytes (m:cacheBytes), read once. */
  #cacheBytes: number | undefined;
  /** True when m:snapshot no longer matches the per-key state. */
  snapshotStale = true;

  private constructor(db: Db, dir: string) {
    this.#db = db;
    this.dir = dir;
    this.#snapshotPath = join(dir, '..', 'snapshot.json');
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
        store.#gen = Number((await db.get('m:gen')) ?? '0');
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

  /**
   * Closes and opens the database again. After a failed write (ENOSPC) LevelDB keeps the
   * error and refuses every later write until it is reopened. Returns the open's error.
   */
  async reopen(): Promise<Result<void, string>> {
    try {
      await this.#db.close();
    } catch {
      // closing a store in error may fail; opening is what matters
    }
    try {
      await this.#db.open();
      return ok(undefined);
    } catch (e) {
      return err((e as Error).message);
    }
  }

  async #all(prefix: string): Promise<[string, string][]> {
    return this.#db.iterator({ gte: prefix, lt: prefix.slice(0, -1) + ';' }).all();
  }

  /** Loads the hot state: from the snapshot when it is current, else key by key. */
  /** Task records are decoded on first use: a no-op answered by the clean marker never needs them. */
  async load(): Promise<{ stats: Map<string, StatEntry>; records: () => Map<string, TaskRecord>; clean: CleanMarker | undefined }> {
    const stats = new Map<string, StatEntry>();
    let snap: string | undefined;
    try {
      snap = readFileSync(this.#snapshotPath, 'utf8');
    } catch {
      snap = undefined;
    }
    if (snap !== undefined) {
      const v = JSON.parse(snap) as { gen: number; s: (string | number)[]; t: (string | number)[]; clean?: CleanMarker };
      if (v.gen === this.#gen) {
        const a = v.s;
        for (let i = 0; i < a.length; i += 7) {
          stats.set(a[i] as string, { size: a[i + 1] as number, mtimeMs: a[i + 2] as number, ctimeMs: a[i + 3] as number, ino: a[i + 4] as number, hashedAt: a[i + 5] as number, digest: a[i + 6] as Digest, checked: 0 });
        }
        const t = v.t;
        const records = (): Map<string, TaskRecord> => {
          const m = new Map<string, TaskRecord>();
          for (let i = 0; i < t.length; ) {
            const id = t[i] as string;
            const key = t[i + 1] as Digest;
            const n = t[i + 2] as number;
            const outputs: [string, Digest][] = [];
            for (let j = 0; j < n; j++) outputs.push([t[i + 3 + 2 * j] as string, t[i + 4 + 2 * j] as Digest]);
            m.set(id, { key, outputs });
            i += 3 + 2 * n;
          }
          t.length = 0;
          return m;
        };
        this.snapshotStale = false;
        return { stats, records, clean: v.clean };
      }
    }
    for (const [k, v] of await this.#all('f:')) {
      const [size, mtimeMs, ctimeMs, ino, hashedAt, digest] = JSON.parse(v) as [number, number, number, number, number, Digest];
      stats.set(k.slice(2), { size, mtimeMs, ctimeMs, ino, hashedAt, digest, checked: 0 });
    }
    const records = new Map<string, TaskRecord>();
    for (const [k, v] of await this.#all('t:')) {
      const [key, outputs] = JSON.parse(v) as [Digest, [string, Digest][]];
      records.set(k.slice(2), { key, outputs });
    }
    this.snapshotStale = true;
    return { stats, records: () => records, clean: undefined };
  }

  /** Rewrites m:snapshot from the in-memory state, which must equal what was written. */
  async writeSnapshot(stats: ReadonlyMap<string, StatEntry>, records: ReadonlyMap<string, TaskRecord>, clean: CleanMarker | undefined): Promise<void> {
    const s: (string | number)[] = [];
    for (const [k, e] of stats) s.push(k, e.size, e.mtimeMs, e.ctimeMs, e.ino, e.hashedAt, e.digest);
    const t: (string | number)[] = [];
    for (const [id, r] of records) {
      t.push(id, r.key, r.outputs.length);
      for (const [p, d] of r.outputs) t.push(p, d);
    }
    writeFileAtomic(this.#snapshotPath, JSON.stringify({ gen: this.#gen, s, t, ...(clean !== undefined ? { clean } : {}) }));
    this.snapshotStale = false;
  }

  async getDetail(task: string): Promise<TaskDetail | undefined> {
    const v = await this.#db.get('x:' + task);
    return v === undefined ? undefined : (JSON.parse(v) as TaskDetail);
  }

  /** Persist stat entries (null deletes) and task records (null deletes) in one batch. */
  async write(stats: Map<string, StatEntry | null>, tasks: Map<string, TaskWrite>): Promise<void> {
    if (stats.size === 0 && tasks.size === 0) return;
    const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = [];
    this.snapshotStale = true;
    const gen = this.#gen + 1;
    ops.push({ type: 'put', key: 'm:gen', value: String(gen) });
    for (const [path, e] of stats) {
      if (e === null) ops.push({ type: 'del', key: 'f:' + path });
      else ops.push({ type: 'put', key: 'f:' + path, value: JSON.stringify([e.size, e.mtimeMs, e.ctimeMs, e.ino, e.hashedAt, e.digest]) });
    }
    for (const [id, r] of tasks) {
      if (r === null) ops.push({ type: 'del', key: 't:' + id }, { type: 'del', key: 'x:' + id });
      else {
        ops.push({ type: 'put', key: 't:' + id, value: JSON.stringify([r.record.key, r.record.outputs]) });
        ops.push({ type: 'put', key: 'x:' + id, value: JSON.stringify(r.detail) });
      }
    }
    await this.#db.batch(ops);
    this.#gen = gen;
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    const v = await this.#db.get('c:' + key);
    return v === undefined ? undefined : (JSON.parse(v) as CacheEntry);
  }

  async putCacheEntry(key: string, entry: CacheEntry, blobs: [Digest, BlobInfo][], addedBytes: number): Promise<void> {
    const ops: { type: 'put'; key: string; value: string }[] = [{ type: 'put', key: 'c:' + key, value: JSON.stringify(entry) }];
    for (const [d, info] of blobs) ops.push({ type: 'put', key: 'b:' + d, value: JSON.stringify(info) });
    if (addedBytes !== 0) {
      this.#cacheBytes = (await this.cacheBytes()) + addedBytes;
      ops.push({ type: 'put', key: 'm:cacheBytes', value: String(this.#cacheBytes) });
    }
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
    if (this.#cacheBytes === undefined) {
      const v = await this.#db.get('m:cacheBytes');
      this.#cacheBytes = v === undefined ? 0 : Number(v);
    }
    return this.#cacheBytes;
  }

  async loadBlobs(): Promise<[Digest, BlobInfo][]> {
    return (await this.#all('b:')).map(([k, v]) => [k.slice(2) as Digest, JSON.parse(v) as BlobInfo]);
  }

  async removeBlobs(digests: readonly Digest[], freedBytes: number): Promise<void> {
    const ops: ({ type: 'del'; key: string } | { type: 'put'; key: string; value: string })[] = digests.map((d) => ({ type: 'del', key: 'b:' + d }));
    this.#cacheBytes = Math.max(0, (await this.cacheBytes()) - freedBytes);
    ops.push({ type: 'put', key: 'm:cacheBytes', value: String(this.#cacheBytes) });
    await this.#db.batch(ops);
  }

  async clearCache(): Promise<void> {
    await this.#db.clear({ gte: 'c:', lt: 'c;' });
    await this.#db.clear({ gte: 'b:', lt: 'b;' });
    await this.#db.del('m:cacheBytes');
    this.#cacheBytes = 0;
  }
}
