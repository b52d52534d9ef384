// One running copy of a warm tool: its process and pipes, record accounting, deadlines.
//
// Records are pipelined: a document is written to stdin as fast as the pipe takes it
// (waiting for 'drain'), while stdout is read concurrently and output records are counted
// as they arrive. Nothing here splits or copies per record; see record-framing.ts.
// The pool (warm-pool.ts) decides which instance gets which document; an instance only
// reports back through its hooks.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Result } from '../util/result.js';
import { err, ok, unreachable } from '../util/result.js';
import type { LineMatcher, PreparedInput, RecordScanner } from './record-framing.js';
import { scannerFor } from './record-framing.js';
import { showBytes, timeoutHint } from './warm-failure.js';
import { encodeRequest, parseResponse } from './warm-json.js';
import { NoSink, StderrSink } from './warm-stderr.js';
import type { InstanceState, StopReason, WarmEvent, WarmFailure, WarmInstanceInfo, WarmToolSpec } from './warm-types.js';

const NL = 0x0a;
/** Largest piece handed to stdin.write at once; 'drain' paces the rest. */
const WRITE_SLICE = 256 * 1024;
/** After 'exit', how long to wait for the pipes to close before judging the instance dead. */
const CLOSE_GRACE_MS = 2000; // generous: under load the last stderr lines (the ones users need) arrive late
/** setTimeout's largest delay; longer (or infinite) settings mean "never". */
const MAX_TIMER = 2 ** 31 - 1;
/** Start-up allowance when the spec gives none: models take seconds to load. */
export const DEFAULT_STARTUP_MS = 60_000;

/** How a document's outcome reaches the pool. */
export interface JobSink {
  /** `collateral`: the job failed only because another job killed the shared instance. */
  settle(result: Result<Uint8Array, WarmFailure>, collateral: boolean): void;
  reject(error: Error): void;
}
export type Job = ({ kind: 'records'; input: PreparedInput } | { kind: 'json'; text: string }) & JobSink;

export interface InstanceHooks {
  /** The instance may take work now, or it has died; the pool re-plans. */
  changed(instance: WarmInstance): void;
  event(event: WarmEvent): void;
  /** The instance failed with no document in flight (e.g. stray stdout while idle). */
  fault(instance: WarmInstance, failure: WarmFailure): void;
}

export interface InstanceOptions {
  logDir: string;
  killAfterMs: number;
  inputMatcher: LineMatcher | null;
  outputMatcher: LineMatcher | null;
}

interface JsonRequest {
  job: Job;
  timer: NodeJS.Timeout;
}

export class WarmInstance {
  readonly spec: WarmToolSpec;
  readonly key: string;
  readonly pid: number;
  readonly startedAt = Date.now();
  /** performance.now() when the instance last finished work (for LRU eviction). */
  lastUsed = performance.now();
  records = 0;
  documents = 0;

  #state: InstanceState = 'starting';
  #spawned = false;
  #ready = false;
  readonly #child: ChildProcess | null;
  readonly #hooks: InstanceHooks;
  readonly #options: InstanceOptions;
  readonly #sink: StderrSink | NoSink;
  readonly #timeoutMs: number;
  readonly #startupMs: number;
  /** Whether the tool has produced any complete output record yet (then start-up is over). */
  #answeredOnce = false;
  #stopWhy: StopReason = 'exited';
  #exitCode: number | null = null;
  #exitSignal: string | null = null;
  #resolveExited!: () => void;
  readonly exited: Promise<void> = new Promise((resolve) => {
    this.#resolveExited = resolve;
  });

  /** Work given before the instance was ready. */
  #pending: Job[] = [];

  // Records framings ('lines', 'terminated').
  readonly #scanner: RecordScanner | null;
  #preludeLeft: number;
  #preludeChunks: Buffer[] = [];
  #prelude: Buffer | null = null;
  #job: Job | null = null;
  #records = 0;
  #answered = 0;
  #chunks: Buffer[] = [];
  #outputBytes = 0;
  #part = 0;
  #offset = 0;

  // JSON framing.
  readonly #inflight = new Map<number, JsonRequest>();
  #nextRequestId = 1;
  readonly #lineCarry: Buffer[] = [];

  #watchdog: NodeJS.Timeout | undefined;
  #lastProgress = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;

  constructor(spec: WarmToolSpec, key: string, hooks: InstanceHooks, options: InstanceOptions) {
    this.spec = spec;
    this.key = key;
    this.#hooks = hooks;
    this.#options = options;
    this.#timeoutMs = Math.min(spec.timeoutMs, MAX_TIMER);
    this.#startupMs = Math.min(spec.startupMs ?? DEFAULT_STARTUP_MS, MAX_TIMER);
    this.#preludeLeft = spec.framing.kind === 'json' ? 0 : spec.prelude;
    this.#scanner = spec.framing.kind === 'json' ? null : scannerFor(spec.framing, options.outputMatcher);

    let child: ChildProcess | null = null;
    let spawnError: Error | null = null;
    try {
      child = spawn(spec.argv[0] ?? '', spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Own process group, so a kill reaches wrappers' children too (sh -c, stdbuf...).
        detached: true,
        windowsHide: true,
      });
    } catch (error) {
      spawnError = error instanceof Error ? error : new Error(String(error));
    }
    this.#child = child;
    this.pid = child?.pid ?? 0;
    this.#sink = child !== null && this.pid > 0 ? new StderrSink(options.logDir, spec.name, this.pid) : new NoSink();

    if (child === null) {
      const message = spawnError?.message ?? 'spawn failed';
      queueMicrotask(() => this.#spawnFailed(message));
      return;
    }
    const { stdin, stdout, stderr } = child;
    if (stdin === null || stdout === null || stderr === null) throw new Error('warm tool spawned without pipes');
    child.on('spawn', this.#onSpawn);
    child.on('error', (error) => {
      if (this.pid === 0 || !this.#spawned) this.#spawnFailed(error.message);
    });
    child.on('exit', this.#onExit);
    child.on('close', this.#onClosed);
    stdin.on('drain', this.#writeMore);
    // EPIPE after the tool died: the exit path reports it, with the tool's stderr.
    stdin.on('error', () => {});
    stdout.on('data', this.#onStdout);
    stdout.on('error', () => {});
    stderr.on('data', (chunk: Buffer) => this.#sink.write(chunk));
    stderr.on('error', () => {});
    if (this.#preludeLeft > 0) this.#armWatchdog();
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** Documents held: in flight plus waiting for start-up. */
  get load(): number {
    return this.#pending.length + (this.#job === null ? 0 : 1) + this.#inflight.size;
  }

  /** Whether new work may be given: the pool never gives work to retiring or stopped instances. */
  get accepting(): boolean {
    if (this.#exitCode !== null || this.#exitSignal !== null) return false; // exited, pipes draining
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
    switch (this.#state) {
      case 'stopping':
      case 'dead':
        return true;
      case 'starting':
      case 'idle':
      case 'busy':
      case 'retiring':
        return false;
      default:
        return unreachable(this.#state);
    }
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
    if (!this.#ready) {
      this.#pending.push(job);
      this.#setRef(true);
      return;
    }
    this.#state = 'busy';
    this.#setRef(true);
    this.#begin(job);
  }

  /** The tool was replaced: finish held work, then exit. */
  retire(): void {
    switch (this.#state) {
      case 'starting':
      case 'idle':
      case 'busy':
        if (this.load === 0) {
          void this.stop('retired');
        } else {
          this.#state = 'retiring';
        }
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
    if (holdOpen) {
      this.#setRef(true);
      this.#killTimer?.ref();
    }
    if (this.#ending) return this.exited;
    this.#stopWhy = why;
    this.#state = 'stopping';
    this.#clearTimers();
    for (const job of this.#takeJobs()) {
      job.reject(new Error(`warm tool ${this.spec.name} (pid ${this.pid}) was stopped (${why}) with a document in flight`));
    }
    this.#child?.stdin?.end();
    this.#signal('SIGTERM');
    this.#killTimer = setTimeout(() => this.#signal('SIGKILL'), this.#options.killAfterMs);
    if (!holdOpen) this.#killTimer.unref();
    return this.exited;
  }

  // ---- start-up -------------------------------------------------------------------------

  #onSpawn = (): void => {
    this.#spawned = true;
    if (this.#ending) return; // stopped (close) before it even started
    this.#hooks.event({ kind: 'instance-started', tool: this.spec.name, pid: this.pid, identity: this.spec.identity });
    if (this.#preludeLeft === 0) this.#becomeReady();
  };

  #becomeReady(): void {
    this.#ready = true;
    if (this.#preludeChunks.length > 0) this.#prelude = Buffer.concat(this.#preludeChunks);
    this.#preludeChunks = [];
    this.#clearWatchdog();
    const pending = this.#pending;
    this.#pending = [];
    if (this.#state === 'starting') this.#state = pending.length > 0 ? 'busy' : 'idle';
    // A records framing holds one document at a time, so then at most one is pending.
    for (const job of pending) this.#begin(job);
    if (pending.length === 0) {
      if (this.#state === 'retiring') void this.stop('retired');
      else this.#becameFree();
    }
  }

  #spawnFailed(message: string): void {
    if (this.#state === 'dead') return;
    const failure: WarmFailure = { reason: 'spawn-failed', tool: this.spec.name, message: spawnMessage(message, this.spec) };
    this.#state = 'dead';
    this.#clearTimers();
    for (const job of this.#takeJobs()) job.settle(err(failure), false);
    void this.#sink.close().then(this.#resolveExited);
    this.#hooks.changed(this);
  }

  // ---- records framings -----------------------------------------------------------------

  #begin(job: Job): void {
    if (job.kind === 'json') {
      this.#sendJson(job);
      return;
    }
    this.#job = job;
    this.#records = job.input.records;
    this.#answered = 0;
    this.#chunks = this.#prelude === null ? [] : [this.#prelude];
    this.#outputBytes = 0;
    this.#part = 0;
    this.#offset = 0;
    this.#scanner?.reset();
    if (this.#records === 0) {
      this.#finishDocument();
      return;
    }
    this.#armWatchdog();
    this.#writeMore();
  }

  /** Writes the current document ahead of the answers, pausing whenever stdin is full. */
  #writeMore = (): void => {
    const job = this.#job;
    const stdin = this.#child?.stdin;
    if (job === null || job.kind !== 'records' || stdin == null || this.#ending) return;
    const parts = job.input.parts;
    while (this.#part < parts.length) {
      const part = parts[this.#part] as Uint8Array;
      const start = this.#offset;
      const end = Math.min(part.length, start + WRITE_SLICE);
      if (end === part.length) {
        this.#part++;
        this.#offset = 0;
      } else {
        this.#offset = end;
      }
      const slice = start === 0 && end === part.length ? part : part.subarray(start, end);
      if (!stdin.write(slice)) return; // resumes on 'drain'
    }
  };

  #onStdout = (chunk: Buffer): void => {
    if (this.#ending) return; // a killed or exiting tool's last words are not records
    const scanner = this.#scanner;
    if (scanner === null) {
      this.#onJsonStdout(chunk);
      return;
    }
    let pos = 0;
    if (this.#preludeLeft > 0) {
      const found = scanner.scan(chunk, 0, this.#preludeLeft);
      this.#preludeLeft -= found;
      this.#outputBytes += chunk.length;
      if (found > 0) this.#progress();
      if (this.#preludeLeft > 0) {
        this.#preludeChunks.push(chunk);
        return;
      }
      pos = scanner.end;
      this.#preludeChunks.push(chunk.subarray(0, pos));
      if (pos < chunk.length) {
        this.#protocolError(
          0,
          `wrote more than its prelude of ${this.spec.prelude} record(s) before any record was sent: ` +
            `${showBytes(chunk.subarray(pos))}. Check the prelude count, and send start-up messages to stderr.`,
          null,
        );
        return;
      }
      this.#becomeReady();
      return;
    }

    const job = this.#job;
    if (job === null) {
      this.#strayOutput(pos === 0 ? chunk : chunk.subarray(pos));
      return;
    }
    const want = this.#records - this.#answered;
    const found = scanner.scan(chunk, pos, want);
    this.#outputBytes += chunk.length - pos;
    if (found > 0) {
      this.#answered += found;
      this.#progress();
    }
    if (found < want) {
      this.#chunks.push(pos === 0 ? chunk : chunk.subarray(pos));
      return;
    }
    const end = scanner.end;
    this.#chunks.push(pos === 0 && end === chunk.length ? chunk : chunk.subarray(pos, end));
    if (end < chunk.length) {
      this.#protocolError(
        this.#records,
        `wrote more output than it was sent records: after the answer to record ${this.#records} (the last), ` +
          `it wrote ${showBytes(chunk.subarray(end))}. A warm tool must write exactly one output record per ` +
          'input record on stdout; send logs and progress to stderr.',
        job,
      );
      return;
    }
    this.#finishDocument();
  };

  #finishDocument(): void {
    const job = this.#job;
    if (job === null) return;
    const output = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    this.#job = null;
    this.#chunks = [];
    this.records += this.#answered;
    this.documents++;
    this.#clearWatchdog();
    this.#afterWork();
    job.settle(ok(output), false);
  }

  /** Output when no record is outstanding: the tool is out of step; its earlier output is suspect. */
  #strayOutput(bytes: Buffer): void {
    const when =
      this.documents === 0
        ? 'before any record was sent'
        : `after its last document (${this.documents} served) had been answered in full, so that document's output may be misaligned`;
    this.#protocolError(
      0,
      `wrote to stdout with no record outstanding, ${when}: ${showBytes(bytes)}. ` +
        'stdout must carry records only; send logs and progress to stderr.',
      null,
    );
  }

  // ---- JSON framing ---------------------------------------------------------------------

  #sendJson(job: Job & { kind: 'json' }): void {
    const id = this.#nextRequestId++;
    const timer = setTimeout(() => this.#jsonTimeout(id), this.#deadline());
    this.#inflight.set(id, { job, timer });
    this.#child?.stdin?.write(encodeRequest(id, job.text));
  }

  #onJsonStdout(chunk: Buffer): void {
    let pos = 0;
    for (;;) {
      const at = chunk.indexOf(NL, pos);
      if (at === -1) {
        if (pos < chunk.length) this.#lineCarry.push(chunk.subarray(pos));
        return;
      }
      let line = chunk.subarray(pos, at);
      if (this.#lineCarry.length > 0) {
        this.#lineCarry.push(line);
        line = Buffer.concat(this.#lineCarry);
        this.#lineCarry.length = 0;
      }
      pos = at + 1;
      this.#onJsonLine(line);
      if (this.#ending) return;
    }
  }

  #onJsonLine(line: Buffer): void {
    if (this.#inflight.size === 0) {
      this.#strayOutput(line);
      return;
    }
    const parsed = parseResponse(line.toString('utf8'));
    if (!parsed.ok) {
      this.#protocolError(1, `answered with a line that ${parsed.error}: ${showBytes(line)}`, null);
      return;
    }
    const { requestId, exitCode, output } = parsed.value;
    // Id 0: a singleplex worker that ignores ids answers in order.
    const id = requestId === 0 ? (this.#inflight.keys().next().value as number) : requestId;
    const request = this.#inflight.get(id);
    if (request === undefined) {
      this.#protocolError(1, `answered requestId ${requestId}, which is not in flight: ${showBytes(line)}`, null);
      return;
    }
    clearTimeout(request.timer);
    this.#inflight.delete(id);
    this.#answeredOnce = true;
    this.records++;
    this.documents++;
    if (this.#inflight.size === 0) this.#afterWork();
    if (exitCode === 0) {
      request.job.settle(ok(Buffer.from(output, 'utf8')), false);
    } else {
      request.job.settle(err({ reason: 'request-failed', tool: this.spec.name, exitCode, message: output }), false);
    }
  }

  #jsonTimeout(id: number): void {
    const request = this.#inflight.get(id);
    if (request === undefined) return;
    this.#timedOut(1, request.job);
  }

  // ---- deadlines, failures, exit ---------------------------------------------------------

  /** How long the next output record may take: start-up allowance until the first one. */
  #deadline(): number {
    if (this.#preludeLeft > 0) return this.#startupMs;
    if (!this.#answeredOnce) return Math.min(this.#startupMs + this.#timeoutMs, MAX_TIMER);
    return this.#timeoutMs;
  }

  /** An output record arrived: the deadline restarts, and start-up is over. */
  #progress(): void {
    this.#lastProgress = performance.now();
    if (this.#answeredOnce) return;
    this.#answeredOnce = true;
    // The running timer was set with the start-up allowance; the deadline is shorter now.
    if (this.#watchdog !== undefined) {
      clearTimeout(this.#watchdog);
      this.#watchdog = setTimeout(this.#onWatchdog, this.#deadline());
    }
  }

  #armWatchdog(): void {
    this.#lastProgress = performance.now();
    this.#watchdog ??= setTimeout(this.#onWatchdog, this.#deadline());
  }

  /** One timer per document, re-armed lazily: progress only stamps a time. */
  #onWatchdog = (): void => {
    this.#watchdog = undefined;
    if (this.#job === null && this.#preludeLeft === 0) return;
    const deadline = this.#deadline();
    const quiet = performance.now() - this.#lastProgress;
    if (quiet + 1 < deadline) {
      this.#watchdog = setTimeout(this.#onWatchdog, deadline - quiet);
      return;
    }
    this.#timedOut(this.#preludeLeft > 0 ? 0 : this.#answered + 1, this.#job);
  };

  #timedOut(record: number, culprit: Job | null): void {
    const afterMs = this.#deadline();
    const hint = timeoutHint({
      afterMs,
      startingUp: !this.#answeredOnce,
      record,
      outputBytes: this.#outputBytes,
      argv: this.spec.argv,
      env: this.spec.env,
    });
    const stderrTail = this.#sink.tail();
    this.#kill({ reason: 'record-timeout', tool: this.spec.name, record, afterMs, stderrTail, hint }, culprit);
  }

  #protocolError(record: number, detail: string, culprit: Job | null): void {
    const failure: WarmFailure = {
      reason: 'protocol-error',
      tool: this.spec.name,
      record,
      detail,
      stderrTail: this.#sink.tail(),
    };
    const hadWork = this.load > 0;
    this.#kill(failure, culprit);
    if (!hadWork) {
      this.#hooks.event({ kind: 'instance-failed', tool: this.spec.name, pid: this.pid, failure });
      this.#hooks.fault(this, failure);
    }
  }

  /** Kills the instance at once and fails everything it holds with `failure`. */
  #kill(failure: WarmFailure, culprit: Job | null): void {
    if (this.#ending) return;
    this.#stopWhy = 'failed';
    this.#state = 'stopping';
    this.#clearTimers();
    this.#sink.note(`killed (${failure.reason}): ${'detail' in failure ? failure.detail : ''}`);
    const jobs = this.#takeJobs();
    this.#signal('SIGKILL');
    for (const job of jobs) job.settle(err(failure), culprit !== null && job !== culprit);
  }

  #onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.#exitCode = code;
    this.#exitSignal = signal;
    this.#clearTimers();
    if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
    // 'close' follows once the pipes are drained; don't wait forever for a grandchild.
    this.#closeTimer = setTimeout(this.#onClosed, CLOSE_GRACE_MS);
  };

  #onClosed = (): void => {
    if (this.#state === 'dead') return;
    const wasStopping = this.#state === 'stopping';
    this.#state = 'dead';
    this.#clearTimers();
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    const record = this.#preludeLeft > 0 ? 0 : this.#job !== null ? this.#answered + 1 : 1;
    const jobs = this.#takeJobs();
    if (jobs.length > 0) {
      const failure: WarmFailure = {
        reason: 'tool-crashed',
        tool: this.spec.name,
        record,
        exitCode: this.#exitCode,
        signal: this.#exitSignal,
        stderrTail: this.#sink.tail(),
      };
      this.#sink.note(`exited with a document in flight (record ${record}): code ${this.#exitCode}, signal ${this.#exitSignal}`);
      for (const job of jobs) job.settle(err(failure), false);
    }
    const child = this.#child;
    child?.stdin?.destroy();
    child?.stdout?.destroy();
    child?.stderr?.destroy();
    this.#setRef(false);
    this.#hooks.event({
      kind: 'instance-stopped',
      tool: this.spec.name,
      pid: this.pid,
      why: wasStopping ? this.#stopWhy : 'exited',
    });
    void this.#sink.close().then(this.#resolveExited);
    this.#hooks.changed(this);
  };

  // ---- helpers --------------------------------------------------------------------------

  /** Work is done (or failed elsewhere); decide what the instance does next. */
  #afterWork(): void {
    this.lastUsed = performance.now();
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
    this.#setRef(false);
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
    const jobs = [...this.#pending];
    this.#pending = [];
    if (this.#job !== null) jobs.push(this.#job);
    this.#job = null;
    this.#chunks = [];
    for (const request of this.#inflight.values()) {
      clearTimeout(request.timer);
      jobs.push(request.job);
    }
    this.#inflight.clear();
    return jobs;
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.pid <= 0 || this.#state === 'dead') return;
    try {
      process.kill(-this.pid, signal); // the whole process group
    } catch {
      this.#child?.kill(signal);
    }
  }

  /** Idle instances must not keep Node alive; working ones must. */
  #setRef(on: boolean): void {
    const child = this.#child;
    if (child === null) return;
    if (on) child.ref();
    else child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      if (stream instanceof Socket) {
        if (on) stream.ref();
        else stream.unref();
      }
    }
  }

  #clearWatchdog(): void {
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearWatchdog();
    this.#clearIdleTimer();
  }
}

function spawnMessage(message: string, spec: WarmToolSpec): string {
  // Node reports a missing cwd as the executable's ENOENT; say which it is.
  const cause = existsSync(spec.cwd) ? '' : ` (the working directory ${JSON.stringify(spec.cwd)} does not exist)`;
  return `could not start ${JSON.stringify(spec.argv[0])} in ${JSON.stringify(spec.cwd)}: ${message}${cause}`;
}

/** Resident set size from /proc (Linux); null elsewhere or once the process is gone. */
export function readRss(pid: number): number | null {
  if (pid <= 0) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
