// One running copy of a warm tool: its life-cycle state, the document it holds, deadlines.
//
// Records are pipelined: a document (and the marker record after it) is written to stdin as
// fast as the pipe takes it, while stdout is read concurrently by the framing's channel
// (warm-records-channel.ts, warm-json-channel.ts). The process itself lives in
// warm-process.ts; the pool (warm-pool.ts) decides which instance gets which document, and
// an instance only reports back through its hooks.

import { performance } from 'node:perf_hooks';
import type { Result } from '../util/result.js';
import { err, ok, unreachable } from '../util/result.js';
import type { LineMatcher, PreparedInput } from './record-framing.js';
import { showBytes, timeoutHint } from './warm-failure.js';
import { averageMs } from './warm-growth.js';
import { JsonChannel } from './warm-json-channel.js';
import { readRss, ToolProcess } from './warm-process.js';
import { RecordsChannel, type ChannelStep } from './warm-records-channel.js';
import type { InstanceState, StopReason, WarmEvent, WarmFailure, WarmInstanceInfo, WarmToolSpec } from './warm-types.js';
import { Watchdog } from './warm-watchdog.js';

/** setTimeout's largest delay; longer (or infinite) settings mean "never". */
const MAX_TIMER = 2 ** 31 - 1;
/** Start-up allowance when the spec gives none: models take seconds to load. */
export const DEFAULT_STARTUP_MS = 60_000;

/** How a document's outcome reaches the pool. */
export interface JobSink {
  /** `collateral`: the job may have failed for another job's fault (shared or reused instance). */
  settle(result: Result<Uint8Array, WarmFailure>, collateral: boolean): void;
  reject(error: Error): void;
}
export type Job = ({ kind: 'records'; input: PreparedInput } | { kind: 'json'; text: string }) & JobSink;

export interface InstanceHooks {
  /** The instance may take work now, or it has died; the pool re-plans. */
  changed(instance: WarmInstance): void;
  event(event: WarmEvent): void;
}

export interface InstanceOptions {
  logDir: string;
  killAfterMs: number;
  outputMatcher: LineMatcher | null;
  /** The marker record written after each document (and at start-up to learn its answer); null: none. */
  marker: Buffer | null;
  markerText: string;
  /** Report a silence (a `warm-waiting` event) every this many ms while an answer is owed. */
  waitReportMs: number;
}

export class WarmInstance {
  readonly spec: WarmToolSpec;
  readonly key: string;
  readonly pid: number;
  readonly startedAt = Date.now();
  /** performance.now() when the instance last finished work or its start-up (for LRU eviction). */
  lastUsed = performance.now();
  records = 0;
  documents = 0;
  /** How long start-up took (spawn to the learned marker, or to the first answer); null: not yet. */
  startupMs: number | null = null;
  /** Recent average time a document took once the instance was warm; null: none yet. */
  documentMs: number | null = null;
  /** performance.now() when the document in flight was begun; null: none. */
  inFlightSince: number | null = null;
  readonly #spawnedAt = performance.now();

  #state: InstanceState = 'starting';
  #ready = false;
  readonly #process: ToolProcess;
  readonly #hooks: InstanceHooks;
  readonly #options: InstanceOptions;
  readonly #timeoutMs: number;
  readonly #startupMs: number;
  /** Whether the tool has produced any answer yet (then start-up is over). */
  #answeredOnce = false;
  #stopWhy: StopReason = 'exited';
  #resolveExited!: () => void;
  readonly exited: Promise<void> = new Promise((resolve) => {
    this.#resolveExited = resolve;
  });

  /** Work given before the instance was ready. */
  #pending: Job[] = [];
  readonly #records: RecordsChannel<Job> | null;
  readonly #json: JsonChannel<Job> | null;
  readonly #watchdog: Watchdog;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(spec: WarmToolSpec, key: string, hooks: InstanceHooks, options: InstanceOptions) {
    this.spec = spec;
    this.key = key;
    this.#hooks = hooks;
    this.#options = options;
    this.#timeoutMs = Math.min(spec.timeoutMs, MAX_TIMER);
    this.#startupMs = Math.min(spec.startupMs ?? DEFAULT_STARTUP_MS, MAX_TIMER);
    this.#watchdog = new Watchdog(() => this.#deadline(), this.#onWatchdog, (quietMs) => this.#waiting(quietMs), options.waitReportMs);
    const framing = spec.framing;
    const write = (...parts: Uint8Array[]): void => this.#process.write(...parts);
    if (framing.kind === 'json') {
      this.#records = null;
      this.#json = new JsonChannel<Job>(spec.name, {
        write: (bytes) => write(Buffer.from(bytes, 'utf8')),
        answered: (job, result) => this.#jsonAnswered(job, result),
        broken: (detail, line) => (detail === '' && line !== null ? this.#strayOutput(line) : this.#protocolError(1, `${detail}: ${showBytes(line ?? Buffer.alloc(0))}`, null)),
        timedOut: (job) => this.#timedOut(1, job),
      });
    } else {
      this.#json = null;
      this.#records = new RecordsChannel<Job>(framing, spec.prelude, options.outputMatcher, options.marker, options.markerText, write);
    }

    this.#process = new ToolProcess(spec, options.logDir, {
      spawned: this.#onSpawn,
      spawnFailed: (message) => this.#spawnFailed(message),
      stdout: this.#onStdout,
      exited: () => this.#clearTimers(),
      closed: this.#onClosed,
    });
    this.pid = this.#process.pid;
    if (this.pid > 0) this.#records?.start();
    if (this.#records !== null && !this.#records.immediate) this.#watchdog.arm();
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** Documents held: in flight plus waiting for start-up. */
  get load(): number {
    return this.#pending.length + (this.#records?.job == null ? 0 : 1) + (this.#json?.size ?? 0);
  }

  /** Whether new work may be given: the pool never gives work to retiring or stopped instances. */
  get accepting(): boolean {
    if (this.#process.exited) return false; // exited, pipes draining
    switch (this.#state) {
      case 'starting':
      case 'idle':
      case 'busy':
        return true;
      case 'retiring':
      case 'stopping':
      case 'dead':
        return false;
      default:
        return unreachable(this.#state);
    }
  }

  /** Stopping or dead: nothing more is written, and output is ignored. */
  get #ending(): boolean {
    return this.#state === 'stopping' || this.#state === 'dead';
  }

  info(): WarmInstanceInfo {
    return {
      tool: this.spec.name,
      pid: this.pid,
      identity: this.spec.identity,
      state: this.#state,
      records: this.records,
      documents: this.documents,
      startedAt: this.startedAt,
      rssBytes: readRss(this.pid),
    };
  }

  /** Gives the instance a document. Only called while `accepting`. */
  assign(job: Job): void {
    this.#clearIdleTimer();
    this.#process.setRef(true);
    if (!this.#ready) {
      this.#pending.push(job);
      return;
    }
    this.#state = 'busy';
    this.#begin(job);
  }

  /** The tool was replaced: finish held work, then exit. */
  retire(): void {
    switch (this.#state) {
      case 'starting':
      case 'idle':
      case 'busy':
        if (this.load === 0) void this.stop('retired');
        else this.#state = 'retiring';
        return;
      case 'retiring':
      case 'stopping':
      case 'dead':
        return;
      default:
        unreachable(this.#state);
    }
  }

  /**
   * Asks the tool to exit: stdin is closed and SIGTERM sent, SIGKILL after killAfterMs.
   * Work still held is rejected (only `close` stops a working instance).
   */
  stop(why: StopReason, holdOpen = false): Promise<void> {
    if (holdOpen) this.#process.setRef(true);
    if (this.#ending) return this.exited;
    this.#stopWhy = why;
    this.#state = 'stopping';
    this.#clearTimers();
    for (const job of this.#takeJobs()) {
      job.reject(new Error(`warm tool ${this.spec.name} (pid ${this.pid}) was stopped (${why}) with a document in flight`));
    }
    this.#process.terminate(this.#options.killAfterMs, holdOpen);
    return this.exited;
  }

  // ---- start-up -------------------------------------------------------------------------

  #onSpawn = (): void => {
    if (this.#ending) return; // stopped (close) before it even started
    this.#hooks.event({ kind: 'instance-started', tool: this.spec.name, pid: this.pid, identity: this.spec.identity });
    if (this.#records === null || this.#records.immediate) this.#becomeReady();
  };

  #becomeReady(): void {
    this.#ready = true;
    this.#watchdog.clear();
    if (this.#records !== null && !this.#records.immediate) {
      this.lastUsed = performance.now();
      this.startupMs = this.lastUsed - this.#spawnedAt;
    }
    const pending = this.#pending;
    this.#pending = [];
    if (this.#state === 'starting') this.#state = pending.length > 0 ? 'busy' : 'idle';
    // A records framing holds one document at a time, so then at most one is pending.
    for (const job of pending) this.#begin(job);
    if (pending.length === 0) {
      if (this.#state === 'retiring') void this.stop('retired');
      else this.#becameFree();
    } else if (this.startupMs !== null) {
      // The start-up's length is known now: the pool re-plans whether its queue is worth another instance.
      this.#hooks.changed(this);
    }
  }

  #spawnFailed(message: string): void {
    if (this.#state === 'dead') return;
    const failure: WarmFailure = { reason: 'spawn-failed', tool: this.spec.name, message };
    this.#state = 'dead';
    this.#clearTimers();
    for (const job of this.#takeJobs()) job.settle(err(failure), false);
    void this.#process.sink.close().then(this.#resolveExited);
    this.#hooks.changed(this);
  }

  // ---- documents ------------------------------------------------------------------------

  #begin(job: Job): void {
    if (job.kind === 'json') {
      this.#json?.send(job, job.text, this.#deadline());
      return;
    }
    const channel = this.#records as RecordsChannel<Job>;
    this.inFlightSince = performance.now();
    const step = channel.begin(job, job.input);
    if (step.kind === 'more') this.#watchdog.arm();
    else this.#onStep(step);
  }

  #onStdout = (chunk: Buffer): void => {
    if (this.#ending) return; // a killed or exiting tool's last words are not records
    if (this.#json !== null) {
      this.#json.feed(chunk, () => this.#ending);
      return;
    }
    const channel = this.#records as RecordsChannel<Job>;
    const before = channel.progress;
    const step = channel.feed(chunk);
    if (channel.progress !== before) this.#progress();
    this.#onStep(step);
  };

  #onStep(step: ChannelStep<Job>): void {
    switch (step.kind) {
      case 'more':
        return;
      case 'ready':
        this.#becomeReady();
        return;
      case 'startup-failed':
        this.#protocolError(0, step.detail, null);
        return;
      case 'done':
        this.#measure();
        this.records += step.records;
        this.documents++;
        this.#watchdog.clear();
        this.#afterWork();
        step.job.settle(ok(step.output), false);
        return;
      case 'misaligned':
        this.#misaligned(step.record, step.detail, step.job);
        return;
      case 'stray':
        this.#strayOutput(step.bytes);
        return;
      default:
        unreachable(step);
    }
  }

  /** A document was answered: its time, or for a tool without a start-up phase, the start-up's. */
  #measure(): void {
    const now = performance.now();
    if (this.startupMs === null) this.startupMs = now - this.#spawnedAt;
    else if (this.inFlightSince !== null) this.documentMs = averageMs(this.documentMs, now - this.inFlightSince);
    this.inFlightSince = null;
  }

  #jsonAnswered(job: Job, result: Result<Uint8Array, WarmFailure>): void {
    this.#answeredOnce = true;
    this.records++;
    this.documents++;
    if ((this.#json?.size ?? 0) === 0) this.#afterWork();
    job.settle(result, false);
  }

  /**
   * Output when no document is in flight: the tool is out of step. The instance is killed
   * so it never serves another document; no document is blamed (the last one was verified,
   * or, without a verifier, is named in the log and the event).
   */
  #strayOutput(bytes: Buffer): void {
    const when =
      this.documents === 0
        ? 'before any record was sent'
        : `after its last document (${this.documents} served) had been answered in full` +
          (this.#options.marker === null ? ", so that document's output may be misaligned" : '');
    this.#protocolError(
      0,
      `wrote to stdout with no record outstanding, ${when}: ${showBytes(bytes)}. ` +
        'stdout must carry records only; send logs and progress to stderr.',
      null,
    );
  }

  // ---- deadlines, failures, exit ---------------------------------------------------------

  /** How long the next answer may take: start-up allowance until the first one. */
  #deadline(): number {
    if (this.#records?.readingPrelude === true) return this.#startupMs;
    if (!this.#answeredOnce) return Math.min(this.#startupMs + this.#timeoutMs, MAX_TIMER);
    return this.#timeoutMs;
  }

  /** An answer arrived: the deadline restarts, and start-up is over. */
  #progress(): void {
    this.#watchdog.progress();
    if (this.#answeredOnce) return;
    this.#answeredOnce = true;
    this.#watchdog.rearm(); // set with the start-up allowance; the deadline is shorter now
  }

  #onWatchdog = (): void => {
    const job = this.#records?.job ?? null;
    if (this.#ready && job === null) return;
    this.#timedOut(this.#records?.record ?? 0, job);
  };

  #waiting(quietMs: number): void {
    if (this.#ending) return;
    const startingUp = !this.#ready || this.#records?.readingPrelude === true || this.#records?.learningMarker === true;
    this.#hooks.event({
      kind: 'warm-waiting',
      tool: this.spec.name,
      pid: this.pid,
      awaiting: startingUp ? 'start-up' : 'answer',
      record: startingUp ? 0 : (this.#records?.record ?? 0),
      quietMs,
      deadlineMs: this.#deadline(),
    });
  }

  #timedOut(record: number, culprit: Job | null): void {
    const afterMs = this.#deadline();
    const learning = this.#records?.learningMarker === true;
    const hint = timeoutHint({
      afterMs,
      startingUp: !this.#answeredOnce,
      record,
      outputBytes: this.#records?.bytes ?? 0,
      argv: this.spec.argv,
      env: this.spec.env,
      ...(learning ? { sentinel: this.#options.markerText } : {}),
    });
    const stderrTail = this.#process.sink.tail();
    this.#kill({ reason: 'record-timeout', tool: this.spec.name, record, afterMs, stderrTail, hint }, culprit);
  }

  #protocolError(record: number, detail: string, culprit: Job | null): void {
    const failure: WarmFailure = { reason: 'protocol-error', tool: this.spec.name, record, detail, stderrTail: this.#process.sink.tail() };
    const hadWork = this.load > 0;
    this.#kill(failure, culprit);
    if (!hadWork) this.#hooks.event({ kind: 'instance-failed', tool: this.spec.name, pid: this.pid, failure });
  }

  /**
   * The answers did not line up. If this instance served earlier documents, the extra output
   * may be theirs (a late line), so the document may be retried on a fresh instance.
   */
  #misaligned(record: number, detail: string, job: Job): void {
    const failure: WarmFailure = { reason: 'misaligned-output', tool: this.spec.name, record, detail, stderrTail: this.#process.sink.tail() };
    this.#kill(failure, job, this.documents > 0);
  }

  /**
   * Kills the instance at once and fails everything it holds with `failure`. Jobs other
   * than `culprit` (and the culprit too when `maybeBlameless`) are collateral: retryable.
   */
  #kill(failure: WarmFailure, culprit: Job | null, maybeBlameless = false): void {
    if (this.#ending) return;
    this.#stopWhy = 'failed';
    this.#state = 'stopping';
    this.#clearTimers();
    this.#process.sink.note(`killed (${failure.reason}): ${'detail' in failure ? failure.detail : ''}`);
    const jobs = this.#takeJobs();
    this.#process.discardQueued();
    this.#process.signal('SIGKILL');
    for (const job of jobs) job.settle(err(failure), maybeBlameless || (culprit !== null && job !== culprit));
  }

  #onClosed = (exitCode: number | null, signal: string | null): void => {
    if (this.#state === 'dead') return;
    const wasStopping = this.#state === 'stopping';
    this.#state = 'dead';
    this.#clearTimers();
    const record = this.#records?.record ?? 1;
    const jobs = this.#takeJobs();
    const sink = this.#process.sink;
    if (jobs.length > 0) {
      const failure: WarmFailure = { reason: 'tool-crashed', tool: this.spec.name, record, exitCode, signal, stderrTail: sink.tail() };
      sink.note(`exited with a document in flight (record ${record}): code ${exitCode}, signal ${signal}`);
      for (const job of jobs) job.settle(err(failure), false);
    }
    this.#hooks.event({ kind: 'instance-stopped', tool: this.spec.name, pid: this.pid, why: wasStopping ? this.#stopWhy : 'exited' });
    void sink.close().then(this.#resolveExited);
    this.#hooks.changed(this);
  };

  // ---- helpers --------------------------------------------------------------------------

  /** Work is done (or failed elsewhere); decide what the instance does next. */
  #afterWork(): void {
    this.lastUsed = performance.now();
    // Its state may carry over into the next document: a fresh instance serves that one.
    if (this.spec.restart === 'per-document' && this.load === 0 && (this.#state === 'busy' || this.#state === 'retiring')) {
      void this.stop('retired');
      return;
    }
    switch (this.#state) {
      case 'retiring':
        if (this.load === 0) void this.stop('retired');
        return;
      case 'busy':
        if (this.load === 0) {
          this.#state = 'idle';
          this.#becameFree();
        }
        return;
      case 'starting':
      case 'idle':
      case 'stopping':
      case 'dead':
        return;
      default:
        unreachable(this.#state);
    }
  }

  #becameFree(): void {
    if (this.#state !== 'idle') return;
    this.#process.setRef(false);
    const idleMs = this.spec.idleMs;
    if (Number.isFinite(idleMs) && idleMs <= MAX_TIMER) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = undefined;
        if (this.#state === 'idle') void this.stop('idle');
      }, idleMs);
      this.#idleTimer.unref();
    }
    this.#hooks.changed(this);
  }

  #takeJobs(): Job[] {
    this.inFlightSince = null;
    const jobs = [...this.#pending];
    this.#pending = [];
    const current = this.#records?.take() ?? null;
    if (current !== null) jobs.push(current);
    if (this.#json !== null) jobs.push(...this.#json.take());
    return jobs;
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #clearTimers(): void {
    this.#watchdog.clear();
    this.#clearIdleTimer();
  }
}
