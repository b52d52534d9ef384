// A session holds what a build needs between steps: the open state store, the stat cache,
// the task records and the loaded pipeline. The CLI opens one per command; the daemon keeps
// one alive across builds.
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { findConfig, loadConfig, type LoadFailure } from '../config/load-config.js';
import { validateConfig, type Diagnostic, type Pipeline } from '../config/validate.js';
import { StatCache } from '../hash/stat-cache.js';
import { buildPlan, type Plan, type PlanFailure, type Task } from '../plan/graph.js';
import { indexGraph, readPlanIndex, writePlanIndex, type IndexGraph } from '../plan/plan-index.js';
import { scanExisting } from '../plan/scan.js';
import { OutputCache } from '../store/output-cache.js';
import { StateStore, type CleanMarker, type StoreFailure, type TaskRecord, type TaskWrite } from '../store/state-store.js';
import { digestBytes, digestFields, type Digest } from '../hash/digest.js';
import { err, ok, type Result } from '../util/result.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { claimTempDir } from './place-output.js';

export type StoreWriteFailure = { reason: 'store-write-failed'; dir: string; message: string };

export type SessionFailure = LoadFailure | StoreFailure | PlanFailure | { reason: 'invalid-config'; diagnostics: Diagnostic[] };

export interface SessionOptions {
  root: string;
  configFile?: string | undefined;
  /** How long to wait for another process holding the state store. */
  lockWaitMs?: number;
}

export class Session {
  readonly root: string;
  readonly pipeDir: string;
  readonly store: StateStore;
  readonly stats: StatCache;
  readonly #loadRecords: () => Map<string, TaskRecord>;
  #records: Map<string, TaskRecord> | undefined;
  readonly #configFile: string | undefined;
  pipeline: Pipeline | undefined;
  /** Files the config was loaded from: a daemon reloads when one changes. */
  configDependencies: string[] = [];
  /** The config reads the environment or files (see LoadedConfig.dynamic): a daemon evaluates it per job. */
  configDynamic = false;
  #cache: OutputCache | undefined;
  /** Records changed since the last flush (null: deleted). */
  readonly dirtyRecords = new Map<string, TaskWrite>();
  #flushing: Promise<void> = Promise.resolve();

  /** See CleanMarker; cleared by any write, set again after a successful full build. */
  #clean: CleanMarker | undefined;
  #indexGraph: { world: Digest; graph: IndexGraph } | undefined;
  #rawDigest: Digest | undefined;
  #writeFailed = false;
  #tmpDir = '';

  private constructor(root: string, store: StateStore, stats: StatCache, records: () => Map<string, TaskRecord>, configFile: string | undefined) {
    this.root = root;
    this.pipeDir = join(root, '.pipe');
    this.store = store;
    this.stats = stats;
    this.#loadRecords = records;
    this.#configFile = configFile;
  }

  static async open(opts: SessionOptions): Promise<Result<Session, SessionFailure>> {
    const root = resolve(opts.root);
    const pipeDir = join(root, '.pipe');
    ensurePrivateDir(pipeDir);
    const store = await StateStore.open(pipeDir, opts.lockWaitMs);
    if (!store.ok) return store;
    const { stats, records, clean } = await store.value.load();
    const session = new Session(root, store.value, new StatCache(stats), records, opts.configFile);
    session.#clean = clean;
    session.#tmpDir = claimTempDir(pipeDir);
    return ok(session);
  }

  async loadPipeline(): Promise<Result<Pipeline, SessionFailure>> {
    const file = findConfig(this.root, this.#configFile);
    if (!file.ok) return file;
    const loaded = await loadConfig(file.value, this.pipeDir);
    if (!loaded.ok) return loaded;
    this.configDependencies = loaded.value.dependencies;
    this.configDynamic = loaded.value.dynamic;
    const rawDigest = digestBytes(JSON.stringify(loaded.value.raw));
    // A dynamic config evaluated again to the same data: keep the pipeline and what hangs on it.
    if (this.pipeline !== undefined && this.pipeline.file === loaded.value.file && rawDigest === this.#rawDigest) return ok(this.pipeline);
    const v = validateConfig(loaded.value.file, loaded.value.raw);
    if (!v.ok) return err({ reason: 'invalid-config', diagnostics: v.error });
    this.pipeline = v.value;
    this.#indexGraph = undefined;
    this.#rawDigest = rawDigest;
    this.#cache = undefined;
    return ok(v.value);
  }

  get cache(): OutputCache {
    if (this.pipeline === undefined) throw new Error('cache used before the pipeline was loaded');
    this.#cache ??= new OutputCache(this.store, this.pipeDir, this.pipeline.cacheBytes);
    return this.#cache;
  }

  /** Stage key and output digests of every task built before, by task id. */
  get records(): Map<string, TaskRecord> {
    this.#records ??= this.#loadRecords();
    return this.#records;
  }

  /** Existing files that match some rule input. */
  scan(pipeline: Pipeline): Promise<string[]> {
    return scanExisting(this.root, pipeline.rules.flatMap((r) => r.inputs));
  }

  plan(pipeline: Pipeline, existing: readonly string[]): Result<Plan, PlanFailure> {
    const knownOutputs = new Set<string>();
    for (const r of this.records.values()) for (const [p] of r.outputs) knownOutputs.add(p);
    return buildPlan({ pipeline, existing, knownOutputs });
  }

  setRecord(id: string, rec: TaskWrite): void {
    if (rec === null) this.records.delete(id);
    else this.records.set(id, rec.record);
    this.dirtyRecords.set(id, rec);
  }

  /** Digest of what decides the plan besides file contents: config, file list, environment. */
  world(pipeline: Pipeline, existing: readonly string[]): Digest {
    const env = [...new Set(pipeline.rules.flatMap((r) => r.tool.env))].sort().map((n) => `${n}=${process.env[n] ?? ''}`);
    return digestFields([this.#rawDigest ?? '', [...existing].sort().join('\n'), process.env['PATH'] ?? '', ...env]);
  }

  /** The clean marker of the last complete build, if it was made in this same `world`. */
  cleanFor(world: Digest): CleanMarker | undefined {
    const m = this.#clean;
    return m !== undefined && m.world === world ? m : undefined;
  }

  /** The last complete plan's index for `world`, decoded once and kept (see plan-index.ts). */
  indexGraph(world: Digest): IndexGraph | undefined {
    if (this.#indexGraph?.world === world) return this.#indexGraph.graph;
    const pipeline = this.pipeline;
    const index = pipeline === undefined ? undefined : readPlanIndex(this.#planIndexPath, world);
    const graph = index === undefined || pipeline === undefined ? undefined : indexGraph(pipeline, index);
    this.#indexGraph = graph === undefined ? undefined : { world, graph };
    return graph;
  }

  savePlanIndex(world: Digest, tasks: readonly Task[]): void {
    if (this.pipeline === undefined) return;
    writePlanIndex(this.#planIndexPath, world, tasks, this.pipeline);
    this.#indexGraph = undefined;
  }

  get #planIndexPath(): string {
    return join(this.pipeDir, 'plan-index.json');
  }

  markClean(m: CleanMarker): void {
    this.#clean = m;
    this.store.snapshotStale = true;
  }

  /**
   * Persists dirty stat entries and records; flushes are serialised. A failed write (disk
   * full under .pipe/state) is a value: what it held stays dirty for the next flush, and the
   * store is reopened before the next build, since LevelDB refuses every write after one
   * failed (see recover).
   */
  flush(): Promise<Result<void, StoreWriteFailure>> {
    const run = this.#flushing.then(async (): Promise<Result<void, StoreWriteFailure>> => {
      const stats = this.stats.takeDirty();
      const recs = new Map(this.dirtyRecords);
      this.dirtyRecords.clear();
      if (stats.size > 0 || recs.size > 0) this.#clean = undefined;
      try {
        await this.store.write(stats, recs);
        return ok(undefined);
      } catch (e) {
        this.stats.restoreDirty(stats);
        for (const [id, r] of recs) if (!this.dirtyRecords.has(id)) this.dirtyRecords.set(id, r);
        this.#writeFailed = true;
        return err({ reason: 'store-write-failed', dir: relative(this.root, this.store.dir), message: (e as Error).message });
      }
    });
    this.#flushing = run.then(() => undefined);
    return run;
  }

  /** After a failed write: reopens the store so that later builds can write again. */
  async recover(): Promise<Result<void, StoreWriteFailure>> {
    if (!this.#writeFailed) return ok(undefined);
    await this.#flushing;
    const r = await this.store.reopen();
    if (!r.ok) return err({ reason: 'store-write-failed', dir: relative(this.root, this.store.dir), message: r.error });
    this.#writeFailed = false;
    return ok(undefined);
  }

  async close(): Promise<void> {
    await this.flush();
    // The snapshot is an optimisation (the per-key values are the truth): a full disk may refuse it.
    if (this.store.snapshotStale) await this.store.writeSnapshot(this.stats.entries, this.records, this.#clean).catch(() => undefined);
    await this.store.close();
    rmSync(this.#tmpDir, { force: true, recursive: true });
  }

  /** This session's own temp directory under .pipe/tmp (see claimTempDir). */
  get tmpDir(): string {
    return this.#tmpDir;
  }
}
