// The daemon: one per project root. It holds the session (and so the LevelDB, which admits
// one process) and a warm pool for its whole life, serves `pipe build|why|status|watch`
// over a unix socket in .pipe/, one job at a time, and keeps its knowledge of what changed
// (change-tracker.ts) so that a no-op build stats almost nothing.
//
//   serving --stop message, signal, idleMs without clients, record removed--> stopping --> stopped
//
// Start-up order matters for a daemon killed with SIGKILL: the state store's lock is the
// daemon's mutex (the kernel releases it with the process), so a new daemon takes the lock
// first and only then removes a socket file left behind and listens. Shut-down is the
// mirror image: stop listening, remove the socket and record, then release the store.
import { chmodSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isAbsolute, join, relative } from 'node:path';
import { executeBuild, type Io } from '../commands/build.js';
import { fail, planLoaded } from '../commands/prepare.js';
import { executeStatus } from '../commands/status.js';
import { executeWhy } from '../commands/why.js';
import type { Pipeline } from '../config/validate.js';
import { Session, type SessionFailure } from '../engine/session.js';
import { WarmPool } from '../tools/warm-pool.js';
import { err, ok, unreachable, type Result } from '../util/result.js';
import { VERSION } from '../version.js';
import { staticPrefix, WatchLoop, type WatchHost } from '../watch/watch-loop.js';
import { ChangeTracker, settle } from './change-tracker.js';
import { JobQueue } from './job-queue.js';
import { Listing } from './listing.js';
import type { BuildMessage } from './messages/build.js';
import { EVENT } from './messages/event.js';
import { EXIT } from './messages/exit.js';
import type { HelloMessage } from './messages/hello.js';
import { decodeClientMessage, type ClientMessage, type DaemonMessage } from './messages/index.js';
import { OUTPUT } from './messages/output.js';
import type { StatusMessage } from './messages/status.js';
import type { WatchMessage } from './messages/watch.js';
import { WELCOME } from './messages/welcome.js';
import type { WhyMessage } from './messages/why.js';
import { daemonPaths, readRecord, type DaemonPaths, type DaemonRecord } from './paths.js';
import { encode, LineDecoder, PROTOCOL, VOLATILE_ENV } from './protocol.js';
import { answers } from './start.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface DaemonOptions {
  /** Absolute project root. */
  root: string;
  /** Absolute config file, or null for the default lookup. */
  config: string | null;
  /** Exit after this long without clients (0: never). */
  idleMs: number;
  log: (line: string) => void;
  /** Stat every known file before every job instead of trusting file events. */
  statAll?: boolean;
}

export type DaemonStartFailure =
  | { reason: 'already-running'; pid: number | undefined }
  | { reason: 'session'; failure: SessionFailure }
  | { reason: 'listen'; socket: string; message: string };

type DaemonState = 'serving' | 'stopping' | 'stopped';

/** How often the daemon checks that .pipe/daemon.json still names it (a deleted project ends it). */
const RECORD_CHECK_MS = 2000;

/** Quiet time after a job before the daemon collects its garbage. */
const GC_AFTER_IDLE_MS = 1000;

class Connection {
  readonly socket: Socket;
  greeted = false;
  refused = false;
  closed = false;
  /** The connection's one job (build, why, status) or watch. */
  controller: AbortController | undefined;
  readonly io: Io;

  constructor(socket: Socket) {
    this.socket = socket;
    this.io = {
      out: (text) => this.send({ type: OUTPUT, stream: 'out', text }),
      err: (text) => this.send({ type: OUTPUT, stream: 'err', text }),
    };
  }

  send(m: DaemonMessage): void {
    if (!this.closed) this.socket.write(encode(m));
  }

  /** Sends the exit code and ends the connection; later calls do nothing. */
  finish(code: number): void {
    if (this.#finished) return;
    this.#finished = true;
    this.send({ type: EXIT, code });
    if (!this.closed) this.socket.end();
  }

  #finished = false;
}

type Handlers = { [K in ClientMessage['type']]: (c: Connection, m: Extract<ClientMessage, { type: K }>) => void };

export class Daemon implements WatchHost {
  readonly root: string;
  readonly session: Session;
  readonly pool: WarmPool;
  readonly paths: DaemonPaths;
  readonly #o: DaemonOptions;
  readonly #server: Server;
  readonly #queue = new JobQueue();
  readonly #tracker: ChangeTracker;
  readonly #connections = new Set<Connection>();
  readonly #watches = new Set<WatchLoop>();
  #state: DaemonState = 'serving';
  #stopReason = '';
  #stopping: Promise<void> | undefined;
  readonly #stopped: Promise<void>;
  #markStopped: () => void = () => {};
  #idleTimer: NodeJS.Timeout | undefined;
  #gcTimer: NodeJS.Timeout | undefined;
  readonly #recordTimer: NodeJS.Timeout;
  /** Stat signature of the config's files when the pipeline was loaded; undefined: (re)load. */
  #configSig: string | undefined;
  #configKeys = new Set<string>();
  #pipelineOk = false;
  readonly #listing = new Listing();
  readonly #ownEnv: Record<string, string | undefined>;

  private constructor(o: DaemonOptions, paths: DaemonPaths, session: Session, server: Server) {
    this.#o = o;
    this.root = o.root;
    this.paths = paths;
    this.session = session;
    this.#server = server;
    this.#stopped = new Promise((r) => (this.#markStopped = r));
    this.pool = new WarmPool({
      maxProcesses: availableParallelism(),
      logDir: join(session.pipeDir, 'logs'),
      onEvent: (e) => o.log(`warm ${e.tool} (pid ${e.pid}): ${e.kind}${e.kind === 'instance-stopped' ? ` (${e.why})` : ''}`),
    });
    this.#tracker = new ChangeTracker(o.root, (key) => this.#fileEvent(key), { disabled: o.statAll ?? false });
    this.#ownEnv = Object.fromEntries([...VOLATILE_ENV].map((k) => [k, process.env[k]]));
    server.on('connection', (s) => this.#accept(s));
    this.#recordTimer = setInterval(() => {
      if (readRecord(paths.record)?.pid !== process.pid) void this.stop('.pipe/daemon.json was removed or replaced');
    }, RECORD_CHECK_MS);
    this.#recordTimer.unref();
    this.#armIdle();
  }

  static async start(o: DaemonOptions): Promise<Result<Daemon, DaemonStartFailure>> {
    const paths = await daemonPaths(o.root);
    if (await answers(paths.socket)) return err({ reason: 'already-running', pid: readRecord(paths.record)?.pid });
    const session = await Session.open({ root: o.root, configFile: o.config ?? undefined, lockWaitMs: 3000 });
    if (!session.ok) {
      if (session.error.reason === 'store-locked' && (await answers(paths.socket))) return err({ reason: 'already-running', pid: readRecord(paths.record)?.pid });
      return err({ reason: 'session', failure: session.error });
    }
    // We hold the state store, so no other daemon serves this root: a socket file is stale.
    rmSync(paths.socket, { force: true });
    const server = createServer();
    const mask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(paths.socket, () => {
          server.off('error', reject);
          resolve();
        });
      });
      chmodSync(paths.socket, 0o600);
    } catch (e) {
      await session.value.close();
      return err({ reason: 'listen', socket: paths.socket, message: (e as Error).message });
    } finally {
      process.umask(mask);
    }
    const record: DaemonRecord = { pid: process.pid, socket: paths.socket, version: VERSION, protocol: PROTOCOL, root: o.root, config: o.config, startedAt: new Date().toISOString() };
    writeFileAtomic(paths.record, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    const daemon = new Daemon(o, paths, session.value, server);
    o.log(`daemon ${VERSION} (protocol ${PROTOCOL}) pid ${process.pid} serving ${o.root} on ${paths.socket}`);
    // Load the pipeline and learn the directories to watch before the first client's job.
    void daemon.exclusive(process.env as Record<string, string>, { out: o.log, err: o.log }, undefined, () => Promise.resolve(0)).catch((e: unknown) => o.log(`initial load failed: ${String(e)}`));
    return ok(daemon);
  }

  /** Resolves when the daemon has stopped (after stop()). */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /**
   * Runs `fn` as the only job, after every job queued before it, with the client's
   * environment, a current pipeline (reloaded if its files changed) and a stat cache told
   * what changed. Resolves with fn's exit code (2 when the config does not load).
   */
  exclusive(env: Record<string, string>, io: Io, signal: AbortSignal | undefined, fn: (pipeline: Pipeline) => Promise<number>, opts: { dryRun?: boolean; onDone?: (code: number) => void } = {}): Promise<number> {
    return this.#queue.run(async () => {
      if (signal?.aborted === true) return done(130);
      await settle();
      this.#applyEnv(env);
      const pipeline = await this.#ensurePipeline(io);
      if (typeof pipeline === 'number') {
        // Keep listening to the config's directory: a fix must reach a watch.
        this.#tracker.sync(this.session.stats, this.#configDirs());
        return done(pipeline);
      }
      const known = this.#tracker.prepare(this.session.stats);
      if (known.all) this.#listing.invalidate();
      else this.#listing.update(this.root, known.renamed);
      let code = 1;
      try {
        code = await fn(pipeline);
        // Answer first: what follows is bookkeeping for the next job.
        return done(code);
      } finally {
        // A failed or dry run may leave misses in the stat cache that no event will clear.
        if (code !== 0 || opts.dryRun === true) this.#tracker.distrust();
        this.#tracker.sync(this.session.stats, this.#extraDirs(pipeline));
        this.#collectWhenIdle();
      }
    });
    function done(code: number): number {
      opts.onDone?.(code);
      return code;
    }
  }

  readonly #handlers: Handlers = {
    hello: (c, m) => this.#hello(c, m),
    build: (c, m) => this.#job(c, `build${m.dryRun ? ' -n' : ''}${m.targets.length > 0 ? ` ${m.targets.slice(0, 3).join(' ')}${m.targets.length > 3 ? ' ...' : ''}` : ''}`, m.env, (p, signal) => this.#build(c, m, p, signal), m.dryRun),
    why: (c, m) => this.#job(c, `why ${m.target}`, m.env, (p) => this.#why(c, m, p), true),
    status: (c, m) => this.#job(c, 'status', m.env, (p) => this.#status(c, m, p), true),
    watch: (c, m) => this.#watch(c, m),
    cancel: (c) => c.controller?.abort(),
    stop: (c) => {
      c.finish(0);
      void this.stop(`asked by a client`);
    },
  };

  #hello(c: Connection, m: HelloMessage): void {
    const same = m.version === VERSION && m.protocol === PROTOCOL && sameFile(m.root, this.root) && m.config === this.#o.config;
    c.greeted = true;
    c.refused = !same;
    if (!same) this.#o.log(`refusing a client of version ${m.version} (protocol ${m.protocol}, config ${m.config ?? 'default'}): it will replace this daemon`);
    c.send({ type: WELCOME, ok: same, version: VERSION, protocol: PROTOCOL, pid: process.pid, config: this.#o.config });
  }

  /** The connection's one request: its AbortController (aborted when the client goes away). */
  #claim(c: Connection): AbortController | undefined {
    if (c.controller !== undefined) {
      c.io.err('pipe: the daemon takes one request per connection\n');
      c.finish(2);
      return undefined;
    }
    c.controller = new AbortController();
    return c.controller;
  }

  #job(c: Connection, what: string, env: Record<string, string>, fn: (p: Pipeline, signal: AbortSignal) => Promise<number>, dryRun: boolean): void {
    const controller = this.#claim(c);
    if (controller === undefined) return;
    const received = performance.now();
    const onDone = (code: number): void => {
      if (controller.signal.aborted && this.#state !== 'serving') c.io.err(`pipe: cancelled: the daemon is stopping (${this.#stopReason})\n`);
      c.finish(code);
      this.#o.log(`${what}: exit ${code} (${Math.round(performance.now() - received)} ms)`);
    };
    this.exclusive(env, c.io, controller.signal, (p) => fn(p, controller.signal), { dryRun, onDone }).then(
      () => {},
      (e: unknown) => {
        this.#o.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        c.io.err(`pipe: internal error in the daemon: ${e instanceof Error ? e.message : String(e)} (see ${this.paths.log})\n`);
        c.finish(1);
      },
    );
  }

  /** The existing files matching rule inputs: the session's scan, kept current from file events. */
  scan(pipeline: Pipeline): Promise<string[]> {
    return this.#listing.files(this.session, pipeline, (d) => this.#tracker.watching(d));
  }

  async #build(c: Connection, m: BuildMessage, pipeline: Pipeline, signal: AbortSignal): Promise<number> {
    const req = { targets: m.targets, jobs: m.jobs, keepGoing: m.keepGoing, dryRun: m.dryRun, cache: m.cache };
    return executeBuild(this.session, req, c.io, (event) => c.send({ type: EVENT, event }), { pool: this.pool, signal, existing: await this.scan(pipeline) });
  }

  async #why(c: Connection, m: WhyMessage, pipeline: Pipeline): Promise<number> {
    const p = await planLoaded({ session: this.session, pipeline, existing: await this.scan(pipeline) }, c.io);
    return typeof p === 'number' ? p : executeWhy(p, { target: m.target, json: m.json }, c.io);
  }

  async #status(c: Connection, m: StatusMessage, pipeline: Pipeline): Promise<number> {
    const p = await planLoaded({ session: this.session, pipeline, existing: await this.scan(pipeline) }, c.io);
    return typeof p === 'number' ? p : executeStatus(p, { json: m.json }, c.io);
  }

  #watch(c: Connection, m: WatchMessage): void {
    const controller = this.#claim(c);
    if (controller === undefined) return;
    const loop = new WatchLoop(this, { paths: m.paths, prune: m.prune, jobs: m.jobs, env: m.env }, c.io);
    this.#watches.add(loop);
    this.#o.log(`watch started (${m.paths.length > 0 ? m.paths.join(', ') : 'source directories'})`);
    controller.signal.addEventListener('abort', () => void loop.close(), { once: true });
    void loop.run().then(
      () => {
        this.#watches.delete(loop);
        this.#o.log('watch ended');
        c.finish(controller.signal.aborted ? 130 : 0);
      },
      (e: unknown) => {
        this.#watches.delete(loop);
        this.#o.log(`watch failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        c.io.err(`pipe: watch failed in the daemon: ${e instanceof Error ? e.message : String(e)} (see ${this.paths.log})\n`);
        c.finish(1);
      },
    );
  }

  // ---- connections ---------------------------------------------------------------------------

  #accept(socket: Socket): void {
    if (this.#state !== 'serving') {
      socket.destroy();
      return;
    }
    const c = new Connection(socket);
    this.#connections.add(c);
    clearTimeout(this.#idleTimer);
    const decoder = new LineDecoder(
      (raw) => this.#dispatch(c, raw),
      (line) => {
        c.io.err(`pipe: the daemon received a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}\n`);
        c.finish(2);
      },
    );
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => decoder.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      c.closed = true;
      // A client that went away (Ctrl-C twice, killed) cancels its job or watch.
      c.controller?.abort();
      this.#connections.delete(c);
      this.#armIdle();
    });
  }

  #dispatch(c: Connection, raw: unknown): void {
    const m = decodeClientMessage(raw);
    if (!m.ok) {
      c.io.err(`pipe: bad message to the daemon: ${m.error}\n`);
      c.finish(2);
      return;
    }
    const msg = m.value;
    if (!c.greeted && msg.type !== 'hello') {
      c.io.err(`pipe: the daemon expects hello first, got ${msg.type}\n`);
      c.finish(2);
      return;
    }
    // A client of another version may only ask this daemon to stop.
    if (c.refused && msg.type !== 'stop') return;
    (this.#handlers[msg.type] as (c: Connection, m: ClientMessage) => void)(c, msg);
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#o.idleMs <= 0 || this.#connections.size > 0 || this.#state !== 'serving') return;
    this.#idleTimer = setTimeout(() => {
      // A connection the poll phase has not accepted yet, or a job still running, keeps us.
      setImmediate(() => {
        if (this.#connections.size === 0 && this.#queue.size === 0) void this.stop(`no clients for ${this.#o.idleMs} ms`);
        else if (this.#connections.size === 0) this.#armIdle();
      });
    }, this.#o.idleMs);
  }

  /**
   * A build of 10,000 documents leaves tens of megabytes of garbage that V8 keeps mapped
   * until its next full collection; with --expose-gc (the background daemon has it) one runs
   * once the daemon has been idle for a moment.
   */
  #collectWhenIdle(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) return;
    clearTimeout(this.#gcTimer);
    this.#gcTimer = setTimeout(() => {
      if (this.#queue.size === 0) gc();
    }, GC_AFTER_IDLE_MS);
    this.#gcTimer.unref();
  }

  // ---- pipeline and environment ------------------------------------------------------------

  async #ensurePipeline(io: Io): Promise<Pipeline | number> {
    const deps = this.session.configDependencies;
    if (this.#pipelineOk && this.session.pipeline !== undefined && this.#configSig === signature(deps)) return this.session.pipeline;
    const first = this.#configSig === undefined && !this.#pipelineOk;
    const r = await this.session.loadPipeline();
    if (!r.ok) {
      this.#pipelineOk = false;
      this.#configSig = undefined;
      this.#o.log(`config does not load: ${r.error.reason}`);
      return fail(r.error, io);
    }
    this.#pipelineOk = true;
    this.#configSig = signature(this.session.configDependencies);
    this.#configKeys = new Set(this.session.configDependencies.map((d) => relative(this.root, d)));
    if (!first) this.#o.log(`config reloaded from ${this.session.configDependencies.map((d) => relative(this.root, d)).join(', ')}`);
    for (const w of this.#watches) w.pipelineChanged();
    return r.value;
  }

  #fileEvent(key: string): void {
    // A config that never loaded has no known files yet: any config file name counts.
    const configLike = !this.#pipelineOk && (/^pipeline\.config\.m?[jt]s$/.test(key) || (this.#o.config !== null && key === relative(this.root, this.#o.config)));
    if (!this.#configKeys.has(key) && !configLike) return;
    this.#configSig = undefined;
    for (const w of this.#watches) w.configTouched(key);
  }

  /** Directories worth watching before any file in them is known: sources, outputs, the config's. */
  #extraDirs(pipeline: Pipeline): string[] {
    const dirs = new Set<string>(this.#configDirs());
    for (const r of pipeline.rules) for (const p of [...r.inputs, ...r.outputs]) dirs.add(staticPrefix(p.source));
    return [...dirs];
  }

  /** Project-relative directories of the config's files (before it ever loaded: where it is looked for). */
  #configDirs(): string[] {
    const files = this.session.configDependencies.length > 0 ? this.session.configDependencies : [this.#o.config ?? join(this.root, 'pipeline.config.ts')];
    const dirs = new Set<string>();
    for (const f of files) {
      const rel = relative(this.root, f);
      if (!rel.startsWith('..') && !isAbsolute(rel)) dirs.add(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
    }
    return [...dirs];
  }

  /** Jobs run one at a time, so each may see its own client's environment, as without a daemon. */
  #applyEnv(env: Record<string, string>): void {
    for (const k of Object.keys(process.env)) if (!(k in env) && !VOLATILE_ENV.has(k)) delete process.env[k];
    for (const [k, v] of Object.entries(env)) if (!VOLATILE_ENV.has(k) && process.env[k] !== v) process.env[k] = v;
    for (const [k, v] of Object.entries(this.#ownEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }

  // ---- stopping ------------------------------------------------------------------------------

  /** Cancels every job and watch, stops warm tools, releases the state store and the socket. */
  stop(reason: string): Promise<void> {
    this.#stopping ??= this.#stop(reason).finally(() => this.#markStopped());
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.#state = 'stopping';
    this.#stopReason = reason;
    this.#o.log(`stopping: ${reason}`);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#gcTimer);
    clearInterval(this.#recordTimer);
    this.#server.close();
    for (const c of this.#connections) c.controller?.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#queue.drained(), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    for (const c of this.#connections) c.socket.destroy();
    // Remove what is ours before releasing the store: a successor takes the store first.
    const st = statSync(this.paths.socket, { throwIfNoEntry: false });
    if (st !== undefined && st.isSocket()) rmSync(this.paths.socket, { force: true });
    if (readRecord(this.paths.record)?.pid === process.pid) rmSync(this.paths.record, { force: true });
    this.#tracker.close();
    await this.pool.close();
    try {
      await this.session.close();
    } catch (e) {
      this.#o.log(`closing the state store failed: ${String(e)}`);
    }
    this.#state = 'stopped';
    this.#o.log('stopped');
  }

  get state(): DaemonState {
    return this.#state;
  }
}

/** Two spellings of one directory (a symlink, a trailing slash) name the same project. */
function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function signature(files: readonly string[]): string {
  return files
    .map((f) => {
      const st = statSync(f, { throwIfNoEntry: false });
      return st === undefined ? `${f}:missing` : `${f}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    })
    .join('\n');
}

export function describeDaemonStartFailure(f: DaemonStartFailure, format: (s: SessionFailure) => string): string {
  switch (f.reason) {
    case 'already-running':
      return `a daemon is already running for this project${f.pid !== undefined ? ` (pid ${f.pid})` : ''}`;
    case 'session':
      return format(f.failure);
    case 'listen':
      return `cannot listen on ${f.socket}: ${f.message}`;
    default:
      return unreachable(f);
  }
}
