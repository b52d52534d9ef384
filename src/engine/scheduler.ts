// The scheduler. Tasks become ready when their dependencies finish; a ready task is checked
// synchronously (stat-cache digests, string compare of fingerprints), so a no-op build never
// touches a promise per task. Only stale tasks go async, at most `jobs` at a time. Each task
// is evaluated at most once per build. Early cutoff is a consequence of fingerprints holding
// input digests: a rebuilt output with the same bytes leaves its dependants' fingerprints equal.
import { join } from 'node:path';
import { digestBytes, type Digest } from '../hash/digest.js';
import { toolIdentity, type IdentityFailure, type ToolIdentity } from '../hash/tool-identity.js';
import type { Task } from '../plan/graph.js';
import type { TaskRecord } from '../store/state-store.js';
import { ok, type Result } from '../util/result.js';
import type { BuildEvent, Outcome, TaskFailure } from './events.js';
import { explainChange, fingerprint, PENDING } from './fingerprint.js';
import { TaskRunner, type StaleTask, type WarmRunner } from './run-task.js';
import type { Session } from './session.js';
import { commandFor } from './substitute.js';
import { guardSync, guardTask, type GuardContext } from './task-guard.js';

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

export interface BuildSummary {
  ok: boolean;
  counts: Record<Outcome, number>;
  ms: number;
  /** Some tool identity hashes a directory tree (see CleanMarker). */
  treeIdentity: boolean;
  /** What became of each task that was evaluated. */
  outcomes: ReadonlyMap<Task, Outcome>;
}

interface Pending extends StaleTask {
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
  readonly #prestarted = new Set<string>();
  readonly #runner: TaskRunner;
  readonly #guard: GuardContext;
  readonly counts: Record<Outcome, number> = { fresh: 0, built: 0, restored: 0, failed: 0, skipped: 0, 'would-run': 0 };

  constructor(session: Session, tasks: readonly Task[], opts: BuildOptions) {
    this.#s = session;
    this.#tasks = tasks;
    this.#o = opts;
    this.#runner = new TaskRunner(session, { useCache: opts.useCache, warm: opts.warm?.run, signal: this.#abort.signal });
    this.#guard = { root: session.root, logDir: join(session.pipeDir, 'logs') };
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
    await this.#runner.settle();
    this.#o.signal?.removeEventListener('abort', onAbort);
    const saved = await this.#s.flush();
    const ok = saved.ok && !this.#failed && this.#o.signal?.aborted !== true && this.#outcome.size === this.#tasks.length;
    const ms = performance.now() - started;
    this.#o.onEvent({ type: 'done', ok, counts: this.counts, ms, ...(saved.ok ? {} : { failure: saved.error }) });
    const treeIdentity = [...this.#identities.values()].some((r) => r.ok && r.value.hasDirectory);
    return { ok, counts: this.counts, ms, treeIdentity, outcomes: this.#outcome };
  }

  #pump(): void {
    while (this.#readyHead < this.#ready.length) {
      const t = this.#ready[this.#readyHead++] as Task;
      if (this.#stopping) continue;
      const r = guardSync(this.#guard, () => this.#evaluate(t));
      if (!r.ok) this.#fail(t, [], r.error);
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
      // Its tool reads a file a task of this build still has to write: its identity is not known yet.
      if (d.toolDeps.some((x) => !this.#outcome.has(x))) continue;
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
      void guardTask(this.#guard, async () => ok(await this.#reasons(p))).then((r) => {
        this.#running--;
        if (r.ok) {
          this.#complete(t, 'would-run');
          this.#o.onEvent({ type: 'would-run', rule: t.rule.name, target, command: p.fp.command, reasons: r.value, completed: this.#completed() });
        } else this.#fail(t, p.fp.command, r.error);
        this.#pump();
      });
      return;
    }
    void guardTask(this.#guard, async () => {
      const reasons = await this.#reasons(p);
      this.#o.onEvent({ type: 'start', rule: t.rule.name, target, reasons, completed: this.#completed() });
      return this.#runner.run(p);
    }).then((r) => {
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
    });
  }
}

function sameOutputs(a: [string, Digest][], b: [string, Digest][]): boolean {
  return a.length === b.length && a.every(([p, d], i) => b[i]?.[0] === p && b[i]?.[1] === d);
}
