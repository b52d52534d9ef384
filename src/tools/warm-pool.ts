// Keeps warm tool instances running and feeds documents through them, within a process cap.
//
// Scheduling: every request waits in one queue; `#pump` (run as a microtask after any
// change) hands each waiting document to an instance of its tool that has room, starts a
// new instance when the tool is below `spec.instances` and the pool below `maxProcesses`
// and the queue is worth a start-up (warm-growth.ts), and otherwise stops least-recently-used idle instances of other tools to make room.
// Instances report back through hooks; see warm-instance.ts for a single instance.

import { performance } from 'node:perf_hooks';
import type { Result } from '../util/result.js';
import { err, ok, unreachable } from '../util/result.js';
import { probeFinalNewline, type FinalNewline } from './final-newline.js';
import { DEFAULT_SENTINEL } from './sentinel.js';
import { chooseEvictions } from './warm-evict.js';
import { growthDelay } from './warm-growth.js';
import { createGroup, prepareDocument, withoutFinalNewline, type Group, type Prepared, type Waiter } from './warm-group.js';
import type { InstanceHooks, Job } from './warm-instance.js';
import { DEFAULT_STARTUP_MS, WarmInstance } from './warm-instance.js';
import { specKey, validateSpec } from './warm-spec.js';
import type { WarmEvent, WarmFailure, WarmInstanceInfo, WarmToolSpec } from './warm-types.js';

export type {
  Framing,
  InstanceState,
  StopReason,
  WarmEvent,
  WarmFailure,
  WarmInstanceInfo,
  WarmToolSpec,
} from './warm-types.js';

export interface WarmPoolOptions {
  /** Most tool processes alive at once, across all tools (stopping ones included). */
  maxProcesses: number;
  /** Each instance's stderr goes to `${logDir}/<tool>-<pid>.log`. */
  logDir: string;
  /** Grace between SIGTERM and SIGKILL when stopping an instance. Default 2000. */
  killAfterMs?: number;
  /** Instance life-cycle, waits and failures with no document to report them on. */
  onEvent?: (event: WarmEvent) => void;
  /** How often an instance that owes an answer and is silent says so (`warm-waiting`). Default 5000. */
  waitReportMs?: number;
}

/** Default period of `warm-waiting` events: a silence is named within seconds, not at its deadline. */
export const WAIT_REPORT_MS = 5000;

/** How often a document may be re-run because another document killed their shared (JSON) instance. */
const COLLATERAL_RETRIES = 3;

interface Outcome {
  result: Result<Uint8Array, WarmFailure>;
  collateral: boolean;
}

export class WarmPool {
  readonly #maxProcesses: number;
  readonly #logDir: string;
  readonly #killAfterMs: number;
  readonly #onEvent: (event: WarmEvent) => void;
  readonly #waitReportMs: number;
  readonly #listeners = new Set<(event: WarmEvent) => void>();
  readonly #groups = new Map<string, Group>();
  /** Tool name -> key of the spec most recently passed to process() under that name. */
  readonly #current = new Map<string, string>();
  /** Every instance not yet dead, retiring and stopping ones included. */
  readonly #all = new Set<WarmInstance>();
  #pumpQueued = false;
  #closed = false;
  readonly #hooks: InstanceHooks;

  constructor(options: WarmPoolOptions) {
    const { maxProcesses, logDir, killAfterMs = 2000, onEvent, waitReportMs = WAIT_REPORT_MS } = options;
    if (!Number.isInteger(maxProcesses) || maxProcesses < 1) {
      throw new TypeError(`WarmPool: maxProcesses is ${JSON.stringify(maxProcesses)}, expected an integer >= 1`);
    }
    if (typeof logDir !== 'string' || logDir === '') {
      throw new TypeError(`WarmPool: logDir is ${JSON.stringify(logDir)}, expected a directory path`);
    }
    if (!(killAfterMs >= 0)) {
      throw new TypeError(`WarmPool: killAfterMs is ${JSON.stringify(killAfterMs)}, expected a number >= 0`);
    }
    if (!(waitReportMs > 0)) {
      throw new TypeError(`WarmPool: waitReportMs is ${JSON.stringify(waitReportMs)}, expected a number > 0`);
    }
    this.#maxProcesses = maxProcesses;
    this.#logDir = logDir;
    this.#killAfterMs = killAfterMs;
    this.#waitReportMs = waitReportMs;
    const own = onEvent ?? (() => {});
    this.#onEvent = (event) => {
      own(event);
      for (const listener of this.#listeners) listener(event);
    };
    this.#hooks = {
      changed: (instance) => this.#changed(instance),
      // Delivered after the transition completes, so a throwing listener cannot leave an instance half-changed.
      event: (event) => queueMicrotask(() => this.#onEvent(event)),
    };
  }

  /**
   * Feeds one document through an instance of the tool and resolves with the output bytes:
   * the prelude, then one output record per input record. Expected failures (crash,
   * timeout, protocol error...) are results; an invalid spec, use after close() and an
   * abort reject. After an abort mid-document the instance finishes the document and
   * discards the output, so it stays warm.
   */
  async process(spec: WarmToolSpec, input: Uint8Array, signal?: AbortSignal): Promise<Result<Uint8Array, WarmFailure>> {
    if (this.#closed) throw new Error('WarmPool.process() called after close()');
    validateSpec(spec);
    signal?.throwIfAborted();
    const group = this.#groupFor(spec);

    const prepared = prepareDocument(group, input);
    if (!prepared.ok) return prepared;
    if (prepared.value === 'empty') return ok(new Uint8Array(0));
    const document = prepared.value;
    const strip = document.kind === 'records' && document.input.unterminated && (await this.#finalNewline(group)) === 'strip';

    let retriesLeft = spec.retries;
    let collateralLeft = COLLATERAL_RETRIES;
    for (;;) {
      signal?.throwIfAborted();
      const { result, collateral } = await this.#submit(group.key, spec, document, signal);
      if (result.ok) return strip ? withoutFinalNewline(result.value) : result;
      if (collateral && collateralLeft-- > 0) continue;
      if (!retryable(result.error) || retriesLeft-- <= 0) return result;
    }
  }

  /**
   * Starts one instance ahead of demand when the tool has none and the pool has room, so
   * its start-up (a model load) overlaps other work. Does nothing otherwise.
   */
  prestart(spec: WarmToolSpec): void {
    if (this.#closed) return;
    validateSpec(spec);
    const group = this.#groupFor(spec);
    if (this.#serving(group) === 0 && this.#all.size < this.#maxProcesses) this.#start(group);
  }

  /** Also sends the pool's events to `listener` (a build in a daemon) until the returned function is called. */
  listen(listener: (event: WarmEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Live instances (dead ones are forgotten). */
  list(): WarmInstanceInfo[] {
    const infos: WarmInstanceInfo[] = [];
    for (const instance of this.#all) {
      if (instance.state !== 'dead') infos.push(instance.info());
    }
    return infos;
  }

  /** Stops every instance (SIGTERM, SIGKILL after killAfterMs); rejects waiting documents. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const group of this.#groups.values()) {
      clearTimeout(group.growthTimer);
      for (const waiter of group.waiting.drain()) waiter.job.reject(new Error('WarmPool closed while the document waited'));
    }
    await Promise.all([...this.#all].map((instance) => instance.stop('closed', true)));
  }

  // ---- groups and retirement --------------------------------------------------------------

  #groupFor(spec: WarmToolSpec): Group {
    // Computed every call, never cached by object: a spec mutated in place must not reuse a stale tool.
    const key = specKey(spec);
    const current = this.#current.get(spec.name);
    if (current !== undefined && current !== key) this.#retire(current);
    this.#current.set(spec.name, key);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = createGroup(spec, key);
      this.#groups.set(key, group);
    } else {
      group.spec = spec;
    }
    return group;
  }

  /** The tool behind `key` was replaced: its instances finish what they hold, then exit. */
  #retire(key: string): void {
    const group = this.#groups.get(key);
    if (group === undefined) return;
    this.#groups.delete(key);
    clearTimeout(group.growthTimer);
    for (const instance of group.instances) instance.retire();
    for (const { job } of group.waiting.drain()) {
      job.settle(err({ reason: 'tool-replaced', tool: group.spec.name, identity: group.spec.identity }), false);
    }
  }

  // ---- requests -----------------------------------------------------------------------------

  #submit(key: string, spec: WarmToolSpec, prepared: Prepared, signal: AbortSignal | undefined): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const group = this.#groups.get(key);
      if (this.#closed) {
        reject(new Error('WarmPool closed while the document was being retried'));
        return;
      }
      if (group === undefined) {
        // Retired between attempts: never run the document with a stale tool.
        resolve({ result: err({ reason: 'tool-replaced', tool: spec.name, identity: spec.identity }), collateral: false });
        return;
      }
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        // Still queued: the pump drops it. Already running: the instance finishes and discards it.
        reject(signal?.reason ?? new Error('aborted'));
      };
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const sink = {
        settle: (result: Result<Uint8Array, WarmFailure>, collateral: boolean) => {
          if (finish()) resolve({ result, collateral });
        },
        reject: (error: Error) => {
          if (finish()) reject(error);
        },
      };
      const job: Job = prepared.kind === 'json' ? { ...sink, kind: 'json', text: prepared.text } : { ...sink, kind: 'records', input: prepared.input };
      signal?.addEventListener('abort', onAbort, { once: true });
      group.waiting.push({ job, abandoned: () => done });
      this.#schedulePump();
    });
  }

  #changed(instance: WarmInstance): void {
    const group = this.#groups.get(instance.key);
    if (group !== undefined) {
      if (instance.startupMs !== null) group.startupMs = instance.startupMs;
      if (instance.documentMs !== null) group.documentMs = instance.documentMs;
    }
    if (instance.state === 'dead') {
      this.#all.delete(instance);
      this.#groups.get(instance.key)?.instances.delete(instance);
    }
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  /**
   * Gives waiting documents to instances, starting and evicting instances as allowed.
   * Per tool it stops at the first document that must wait, so a deep queue costs
   * nothing until instances free up.
   */
  #pump(): void {
    if (this.#closed) return;
    let starving = 0;
    let growth = 0;
    for (const group of this.#groups.values()) {
      const waiting = group.waiting;
      while (waiting.size > 0) {
        const waiter = waiting.peek() as Waiter;
        if (waiter.abandoned()) {
          waiting.shift();
          continue;
        }
        const instance = this.#instanceFor(group);
        if (instance === null) {
          if (this.#serving(group) === 0) starving++;
          else if (this.#mayGrow(group)) growth++;
          break;
        }
        waiting.shift();
        instance.assign(waiter.job);
      }
      this.#spare(group);
    }
    if (starving + growth > 0) this.#evict(starving, growth);
  }

  /** A tool restarted per document gets its next instance started while the current one works. */
  #spare(group: Group): void {
    if (group.spec.restart !== 'per-document' || this.#all.size >= this.#maxProcesses) return;
    let serving = 0;
    for (const instance of group.instances) {
      if (!instance.accepting) continue;
      if (instance.load === 0) return; // one is ready (or starting) for the next document
      serving++;
    }
    if (serving > 0 && serving < group.spec.instances + 1) this.#start(group);
  }

  /**
   * Where the group's next document goes: an instance with no work; else a new instance
   * while the tool is below `instances`, the pool below `maxProcesses` and the queue worth
   * a start-up; else, for a
   * JSON worker (which takes several requests at once), the least loaded one; else null.
   */
  #instanceFor(group: Group): WarmInstance | null {
    const free = this.#freeInstance(group);
    if (free !== null) return free;
    if (this.#all.size < this.#maxProcesses && this.#mayGrow(group)) return this.#start(group);
    return this.#leastLoadedJson(group);
  }

  /**
   * Whether the group may start another instance: below `instances`, and for a records
   * framing only when its queue outlasts a start-up (a JSON worker takes its queue at once).
   * When the document in flight may make it worthwhile later, a re-plan is set for then.
   */
  #mayGrow(group: Group): boolean {
    const serving = this.#serving(group);
    if (serving >= group.spec.instances) return false;
    if (serving === 0 || group.spec.framing.kind === 'json') return true;
    const now = performance.now();
    let startupMs = group.startupMs;
    let inFlightMs: number | null = null;
    for (const instance of group.instances) {
      startupMs ??= instance.startupMs;
      if (instance.inFlightSince !== null) inFlightMs = Math.max(inFlightMs ?? 0, now - instance.inFlightSince);
    }
    const delay = growthDelay({ startupMs, documentMs: group.documentMs, inFlightMs, waiting: group.waiting.size, serving });
    if (delay === 0) return true;
    if (Number.isFinite(delay) && group.growthTimer === undefined) {
      group.growthTimer = setTimeout(() => {
        group.growthTimer = undefined;
        this.#schedulePump();
      }, Math.ceil(delay));
      // A busy instance keeps Node alive; this timer only re-plans.
      group.growthTimer.unref();
    }
    return false;
  }

  /**
   * An instance of the group with no work: idle ones first, the most recently used of them
   * (so surplus instances reach idleMs and exit), then starting ones.
   */
  #freeInstance(group: Group): WarmInstance | null {
    let best: WarmInstance | null = null;
    for (const instance of group.instances) {
      if (!instance.accepting || instance.load > 0) continue;
      if (best === null || preferred(instance, best)) best = instance;
    }
    return best;
  }

  #leastLoadedJson(group: Group): WarmInstance | null {
    if (group.spec.framing.kind !== 'json') return null;
    let best: WarmInstance | null = null;
    for (const instance of group.instances) {
      if (instance.accepting && (best === null || instance.load < best.load)) best = instance;
    }
    return best;
  }

  /** Instances of the group that take work. */
  #serving(group: Group): number {
    let count = 0;
    for (const instance of group.instances) if (instance.accepting) count++;
    return count;
  }

  #start(group: Group): WarmInstance {
    const instance = new WarmInstance(group.spec, group.key, this.#hooks, {
      logDir: this.#logDir,
      killAfterMs: this.#killAfterMs,
      outputMatcher: group.outputMatcher,
      marker: group.marker,
      markerText: group.markerText ?? '',
      waitReportMs: this.#waitReportMs,
    });
    this.#all.add(instance);
    group.instances.add(instance);
    return instance;
  }

  #evict(starving: number, growth: number): void {
    // A document waits for the freed place: keep Node alive until the instance is gone.
    for (const instance of chooseEvictions(this.#all, starving, growth)) void instance.stop('evicted', true);
  }

  /** How this tool ends an unterminated last line when run cold (one probe run per tool). */
  #finalNewline(group: Group): Promise<FinalNewline> {
    const spec = group.spec;
    const timeoutMs = Math.min((spec.startupMs ?? DEFAULT_STARTUP_MS) + spec.timeoutMs, 2 ** 31 - 1);
    group.finalNewline ??= probeFinalNewline(spec, group.markerText ?? DEFAULT_SENTINEL, timeoutMs).then(({ policy, problem }) => {
      if (problem !== null) {
        const failure: WarmFailure = { reason: 'protocol-error', tool: spec.name, record: 0, detail: `cannot tell whether the tool ends an unterminated last line with a newline (${problem}); keeping the newline`, stderrTail: '' };
        this.#onEvent({ kind: 'instance-failed', tool: spec.name, pid: 0, failure });
      }
      return policy;
    });
    return group.finalNewline;
  }
}

function preferred(a: WarmInstance, b: WarmInstance): boolean {
  const aIdle = a.state === 'idle';
  const bIdle = b.state === 'idle';
  if (aIdle !== bIdle) return aIdle;
  return a.lastUsed > b.lastUsed;
}

function retryable(failure: WarmFailure): boolean {
  switch (failure.reason) {
    case 'tool-crashed':
    case 'record-timeout':
    case 'protocol-error':
    case 'misaligned-output':
      return true;
    case 'spawn-failed':
    case 'request-failed':
    case 'tool-replaced':
      return false;
    default:
      return unreachable(failure);
  }
}
