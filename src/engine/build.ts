// The scheduler. Tasks become ready when their dependencies finish; a ready task is checked
// synchronously (stat-cache digests, string compare of fingerprints), so a no-op build never
// touches a promise per task. Only stale tasks go async, at most `jobs` at a time. Each task
// is evaluated at most once per build. Early cutoff is a consequence of fingerprints holding
// input digests: a rebuilt output with the same bytes leaves its dependants' fingerprints equal.
import { constants, copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { digestBytes, digestFile, digestFileSync, type Digest } from '../hash/digest.js';
import { toolIdentity, type IdentityFailure, type ToolIdentity } from '../hash/tool-identity.js';
import type { Task } from '../plan/graph.js';
import { blobSize, removeQuietly } from '../store/output-cache.js';
import type { TaskRecord } from '../store/state-store.js';
import { runCold, type ColdFailure } from '../tools/cold-runner.js';
import type { WarmFailure } from '../tools/warm-pool.js';
import { err, ok, type Result } from '../util/result.js';
import { explainChange, fingerprint, PENDING, type Fingerprint } from './fingerprint.js';
import type { Session } from './session.js';
import { commandFor } from './substitute.js';

export type TaskFailure =
  | { reason: 'missing-input'; path: string }
  | IdentityFailure
  | ColdFailure
  | { reason: 'missing-output'; path: string }
  | { reason: 'output-unwritable'; path: string; message: string }
  | { reason: 'warm'; failure: WarmFailure };

export type Outcome = 'fresh' | 'built' | 'restored' | 'failed' | 'skipped' | 'would-run';

export type BuildEvent =
  | { type: 'plan'; tasks: number }
  | { type: 'start'; rule: string; target: string; reasons: string[]; completed: number }
  | { type: 'finish'; rule: string; target: string; outcome: Outcome; ms: number; unchanged: boolean; completed: number }
  | { type: 'fail'; rule: string; target: string; command: string[]; failure: TaskFailure; completed: number }
  | { type: 'would-run'; rule: string; target: string; command: string[]; reasons: string[]; completed: number }
  | { type: 'done'; ok: boolean; counts: Record<Outcome, number>; ms: number; noPlan?: boolean };

export interface BuildOptions {
  jobs: number;
  keepGoing: boolean;
  dryRun: boolean;
  useCache: boolean;
  signal?: AbortSignal | undefined;
  onEvent: (e: BuildEvent) => void;
  /** Hooks for warm tools; absent: every tool runs cold. */
  warm?: { run: WarmRunner; prestart(task: Task, identity: ToolIdentity): void } | undefined;
  /** Tasks known fresh without evaluation (outside an incremental cone): counted, not run. */
  alreadyFresh?: number | undefined;
}

export type WarmRunner = (task: Task, identity: ToolIdentity, stdinFiles: string[], stdoutFile: string, signal: AbortSignal) => Promise<Result<void, TaskFailure>>;

export interface BuildSummary {
  ok: boolean;
  counts: Record<Outcome, number>;
  ms: number;
  /** Some tool identity hashes a directory tree (see CleanMarker). */
  treeIdentity: boolean;
}

interface Pending {
  task: Task;
  fp: Fingerprint;
  key: Digest;
  identity: ToolIdentity;
  /** Set when the fingerprint matched but an output is missing or edited. */
  broken: string | undefined;
  /** Dry run: dependencies that would be rebuilt. */
  upstream: Task[];
}

const FLUSH_EVERY_MS = 500;

export async function runBuild(session: Session, tasks: readonly Task[], opts: BuildOptions): Promise<BuildSummary> {
  return new Executor(session, tasks, opts).run();
}

class Executor {
  readonly #s: Session;
  readonly #tasks: readonly Task[];
  readonly #o: BuildOptions;
  readonly #remaining = new Map<Task, number>();
  readonly #outcome = new Map<Task, Outcome>();
  /** Tasks that will (dry run) or did produce changed outputs, for dry-run explanations. */
  readonly #changing = new Set<Task>();
  readonly #identities = new Map<string, Result<ToolIdentity, IdentityFailure>>();
  readonly #ready: Task[] = [];
  #readyHead = 0;
  readonly #runnable: Pending[] = [];
  #runnableHead = 0;
  #running = 0;
  #stopping = false;
  #failed = false;
  #lastFlush = Date.now();
  #finish: (() => void) | undefined;
  readonly #abort = new AbortController();
  readonly #createdDirs = new Set<string>();
  readonly #prestarted = new Set<string>();
  readonly #saves: Promise<void>[] = [];
  #tmpSeq = 0;
  readonly counts: Record<Outcome, number> = { fresh: 0, built: 0, restored: 0, failed: 0, skipped: 0, 'would-run': 0 };

  constructor(session: Session, tasks: readonly Task[], opts: BuildOptions) {
    this.#s = session;
    this.#tasks = tasks;
    this.#o = opts;
  }

  async run(): Promise<BuildSummary> {
    const started = performance.now();
    const onAbort = (): void => {
      this.#stopping = true;
      this.#abort.abort();
    };
    if (this.#o.signal?.aborted === true) onAbort();
    this.#o.signal?.addEventListener('abort', onAbort, { once: true });
    this.counts.fresh = this.#o.alreadyFresh ?? 0;
    this.#o.onEvent({ type: 'plan', tasks: this.#tasks.length + this.counts.fresh });
    const selected = new Set(this.#tasks);
    for (const t of this.#tasks) {
      const n = t.deps.filter((d) => selected.has(d)).length;
      this.#remaining.set(t, n);
      if (n === 0) this.#ready.push(t);
    }
    const done = new Promise<void>((r) => (this.#finish = r));
    this.#pump();
    await done;
    await Promise.all(this.#saves);
    this.#o.signal?.removeEventListener('abort', onAbort);
    await this.#s.flush();
    const ok = !this.#failed && this.#o.signal?.aborted !== true && this.#outcome.size === this.#tasks.length;
    const ms = performance.now() - started;
    this.#o.onEvent({ type: 'done', ok, counts: this.counts, ms });
    const treeIdentity = [...this.#identities.values()].some((r) => r.ok && r.value.hasDirectory);
    return { ok, counts: this.counts, ms, treeIdentity };
  }

  #pump(): void {
    while (this.#readyHead < this.#ready.length) {
      const t = this.#ready[this.#readyHead++] as Task;
      if (this.#stopping) continue;
      this.#evaluate(t);
    }
    while (!this.#stopping && this.#running < this.#o.jobs && this.#runnableHead < this.#runnable.length) {
      this.#start(this.#runnable[this.#runnableHead++] as Pending);
    }
    const queued = this.#stopping ? 0 : this.#runnable.length - this.#runnableHead;
    if (this.#running === 0 && queued === 0 && this.#readyHead >= this.#ready.length) {
      this.#finish?.();
    } else if (Date.now() - this.#lastFlush > FLUSH_EVERY_MS) {
      this.#lastFlush = Date.now();
      void this.#s.flush();
    }
  }

  #completed(): number {
    return this.#outcome.size + (this.#o.alreadyFresh ?? 0);
  }

  #complete(t: Task, outcome: Outcome): void {
    this.#outcome.set(t, outcome);
    this.counts[outcome]++;
    for (const d of t.dependents) {
      const n = this.#remaining.get(d);
      if (n === undefined) continue;
      this.#remaining.set(d, n - 1);
      if (n === 1) this.#ready.push(d);
    }
  }

  #fail(t: Task, command: string[], failure: TaskFailure): void {
    this.#failed = true;
    if (!this.#o.keepGoing) this.#stopping = true;
    this.#complete(t, 'failed');
    this.#o.onEvent({ type: 'fail', rule: t.rule.name, target: t.outputs[0] ?? '', command, failure, completed: this.#completed() });
  }

  #identity(t: Task): Result<ToolIdentity, IdentityFailure> {
    const key = t.rule.tool.name;
    let id = this.#identities.get(key);
    if (id === undefined) {
      id = toolIdentity(t.rule.tool, this.#s.root, this.#s.stats);
      this.#identities.set(key, id);
    }
    return id;
  }

  /** Synchronous freshness check; a stale task is queued to run. */
  #evaluate(t: Task): void {
    for (const d of t.deps) {
      const o = this.#outcome.get(d);
      if (o === 'failed' || o === 'skipped') {
        this.#complete(t, 'skipped');
        return;
      }
    }
    const stats = this.#s.stats;
    const root = this.#s.root;
    const inputs: [string, Digest][] = [];
    for (const i of t.inputs) {
      const st = stats.state(root + '/' + i, i);
      if (st === undefined) {
        if (this.#o.dryRun && t.deps.some((d) => this.#changing.has(d))) {
          inputs.push([i, PENDING]);
          continue;
        }
        this.#fail(t, [], { reason: 'missing-input', path: i });
        return;
      }
      inputs.push([i, st.digest]);
    }
    const id = this.#identity(t);
    if (!id.ok) {
      this.#fail(t, [...t.rule.tool.command], id.error);
      return;
    }
    const command = commandFor(t, t.outputs);
    const fp = fingerprint(t, command, id.value, inputs);
    const key = digestBytes(fp.text);
    const rec = this.#s.records.get(t.id);
    const upstream = this.#changing.size === 0 ? [] : t.deps.filter((d) => this.#changing.has(d));
    let broken: string | undefined;
    if (rec !== undefined && rec.key === key && upstream.length === 0) {
      broken = this.#brokenOutput(rec);
      if (broken === undefined) {
        this.#complete(t, 'fresh');
        return;
      }
    }
    if (this.#o.dryRun) this.#changing.add(t);
    else this.#prestart(t, id.value);
    this.#runnable.push({ task: t, fp, key, identity: id.value, broken, upstream });
  }

  /**
   * A stale task will run its tool, and likely its dependants' tools after it: start a warm
   * instance of each now, so model loads overlap instead of queueing one after another.
   */
  #prestart(t: Task, identity: ToolIdentity): void {
    const warm = this.#o.warm;
    if (warm === undefined) return;
    const want = (task: Task, id: ToolIdentity): void => {
      if (task.rule.tool.warm === null || this.#prestarted.has(task.rule.tool.name)) return;
      this.#prestarted.add(task.rule.tool.name);
      warm.prestart(task, id);
    };
    want(t, identity);
    for (const d of t.dependents) {
      if (d.rule.tool.warm === null || this.#prestarted.has(d.rule.tool.name)) continue;
      const id = this.#identity(d);
      if (id.ok) want(d, id.value);
    }
  }

  #brokenOutput(rec: TaskRecord): string | undefined {
    for (const [p, d] of rec.outputs) {
      const st = this.#s.stats.state(this.#s.root + '/' + p, p);
      if (st === undefined) return `output ${p} is missing`;
      if (st.digest !== d) return `output ${p} was modified since it was built`;
    }
    return undefined;
  }

  /** Why a stale task must run, from its stored detail (read only for stale tasks). */
  async #reasons(p: Pending): Promise<string[]> {
    if (p.broken !== undefined) return [p.broken];
    // Never built: no stored detail to read (saves a store read per task on a fresh build).
    if (!this.#s.records.has(p.task.id) && p.upstream.length === 0) return ['never built'];
    const reasons = explainChange(await this.#s.store.getDetail(p.task.id), p.fp, p.identity);
    for (const d of p.upstream) reasons.unshift(`upstream ${d.outputs[0] ?? ''} will be rebuilt`);
    if (reasons.length === 0) reasons.push('rule changed (its name, input/output mode or outputs)');
    return reasons;
  }

  #start(p: Pending): void {
    this.#running++;
    const t = p.task;
    const target = t.outputs[0] ?? '';
    const started = performance.now();
    const before = this.#s.records.get(t.id);
    if (this.#o.dryRun) {
      void this.#reasons(p).then((reasons) => {
        this.#running--;
        this.#complete(t, 'would-run');
        this.#o.onEvent({ type: 'would-run', rule: t.rule.name, target, command: p.fp.command, reasons, completed: this.#completed() });
        this.#pump();
      });
      return;
    }
    this.#reasons(p)
      .then((reasons) => {
        this.#o.onEvent({ type: 'start', rule: t.rule.name, target, reasons, completed: this.#completed() });
        return this.#execute(p);
      })
      .then(
      (r) => {
        this.#running--;
        if (r.ok) {
          const unchanged = before !== undefined && sameOutputs(before.outputs, r.value.outputs);
          this.#complete(t, r.value.outcome);
          this.#o.onEvent({ type: 'finish', rule: t.rule.name, target, outcome: r.value.outcome, ms: performance.now() - started, unchanged, completed: this.#completed() });
        } else if (r.error.reason === 'cancelled') {
          this.#complete(t, 'skipped');
        } else {
          this.#fail(t, p.fp.command, r.error);
        }
        this.#pump();
      },
      (e: unknown) => {
        // A bug, not an expected failure: surface it with its stack rather than hang.
        this.#running--;
        this.#fail(t, p.fp.command, { reason: 'spawn-failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        this.#pump();
      },
    );
  }

  async #execute(p: Pending): Promise<Result<{ outcome: 'built' | 'restored'; outputs: [string, Digest][] }, TaskFailure>> {
    const { task: t, fp, key } = p;
    const root = this.#s.root;
    const temps: string[] = [];
    try {
      for (const o of t.outputs) {
        const dir = dirname(join(root, o));
        if (!this.#createdDirs.has(dir)) {
          try {
            mkdirSync(dir, { recursive: true });
          } catch (e) {
            return err({ reason: 'output-unwritable', path: o, message: (e as Error).message });
          }
          this.#createdDirs.add(dir);
        }
        temps.push(this.#tempFor(o));
      }

      let outcome: 'built' | 'restored' = 'built';
      const cached = this.#o.useCache ? await this.#s.cache.lookup(key) : undefined;
      if (cached !== undefined && cached.outputs.length === t.outputs.length && this.#restore(cached.outputs, temps)) {
        outcome = 'restored';
        await this.#s.cache.touch(cached);
      } else {
        const r = await this.#runTool(p, temps);
        if (!r.ok) return r;
      }

      // Hash temps, then rename into place: a reader never sees a half-written output.
      const produced: { abs: string; rel: string; digest: Digest; size: number }[] = [];
      for (let i = 0; i < t.outputs.length; i++) {
        const rel = t.outputs[i] as string;
        const tmp = temps[i] as string;
        const size = blobSize(tmp);
        if (size === undefined) return err({ reason: 'missing-output', path: rel });
        const digest = await digestFile(tmp, size);
        produced.push({ abs: join(root, rel), rel, digest, size });
      }
      for (let i = 0; i < produced.length; i++) {
        const o = produced[i] as (typeof produced)[number];
        try {
          renameSync(temps[i] as string, o.abs);
        } catch (e) {
          return err({ reason: 'output-unwritable', path: o.rel, message: (e as Error).message });
        }
        this.#s.stats.record(o.rel, statSync(o.abs), o.digest);
      }
      const outputs = produced.map((o): [string, Digest] => [o.rel, o.digest]);
      this.#s.setRecord(t.id, {
        record: { key, outputs },
        detail: { rule: t.rule.name, command: fp.command, tool: { digest: p.identity.digest, parts: p.identity.parts }, inputs: fp.inputs, builtAt: Date.now() },
      });
      // Off the critical path: dependants may start; run() awaits every save before it ends.
      if (outcome === 'built') this.#saves.push(this.#s.cache.save(key, produced).catch(() => undefined));
      return ok({ outcome, outputs });
    } finally {
      for (const tmp of temps) removeQuietly(tmp);
    }
  }

  /** Copies cached blobs to the temps, verifying each digest; false (a miss) on any mismatch. */
  #restore(outputs: [string, Digest][], temps: string[]): boolean {
    for (let i = 0; i < outputs.length; i++) {
      const [, d] = outputs[i] as [string, Digest];
      const tmp = temps[i] as string;
      const blob = this.#s.cache.blobPath(d);
      copyFileSync(blob, tmp, constants.COPYFILE_FICLONE);
      if (digestFileSync(tmp) !== d) {
        // Edited in place through its output's hard link: drop it so the next save recreates it.
        removeQuietly(blob);
        return false;
      }
    }
    return true;
  }

  async #runTool(p: Pending, temps: string[]): Promise<Result<void, TaskFailure>> {
    const t = p.task;
    const root = this.#s.root;
    const tool = t.rule.tool;
    const stdinFiles = t.rule.stdin ? t.inputs.map((i) => join(root, i)) : null;
    const stdoutFile = t.rule.stdout ? (temps[0] as string) : null;
    if (tool.warm !== null && this.#o.warm !== undefined && stdinFiles !== null && stdoutFile !== null) {
      return this.#o.warm.run(t, p.identity, stdinFiles, stdoutFile, this.#abort.signal);
    }
    const argv = commandFor(t, temps);
    const r = await runCold({
      executable: p.identity.executable,
      args: argv.slice(1),
      cwd: root,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdinFiles,
      stdoutFile,
      timeoutMs: tool.timeoutMs,
      signal: this.#abort.signal,
    });
    if (!r.ok) return r;
    // A tool with {output} placeholders must create every output itself.
    for (let i = 0; i < temps.length; i++) {
      if (blobSize(temps[i] as string) === undefined) return err({ reason: 'missing-output', path: t.outputs[i] as string });
    }
    return ok(undefined);
  }

  #tempFor(rel: string): string {
    // .pipe/tmp is swept of dead processes' files at the next start, so a SIGKILL leaves no
    // litter next to the outputs. Renaming from there is atomic on the same filesystem.
    const name = `${process.pid}.${++this.#tmpSeq}.${basename(rel)}`;
    const abs = join(this.#s.root, rel);
    if (sameDevice(this.#s.tmpDir, dirname(abs))) return join(this.#s.tmpDir, name);
    return join(dirname(abs), `.${name}.pipe-tmp`);
  }
}

const deviceOf = new Map<string, number>();
function sameDevice(a: string, b: string): boolean {
  const dev = (p: string): number => {
    let d = deviceOf.get(p);
    if (d === undefined) {
      d = statSync(p).dev;
      deviceOf.set(p, d);
    }
    return d;
  };
  return dev(a) === dev(b);
}

function sameOutputs(a: [string, Digest][], b: [string, Digest][]): boolean {
  return a.length === b.length && a.every(([p, d], i) => b[i]?.[0] === p && b[i]?.[1] === d);
}
