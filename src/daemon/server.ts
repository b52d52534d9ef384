// The daemon: one per project root. It holds the session (and so the LevelDB, which admits
// one process) and a warm pool for its whole life, serves `pipe build|why|status|watch|tools`
// over a unix socket in .pipe/, one job at a time, and keeps its knowledge of what changed
// (change-tracker.ts) so that a no-op build stats almost nothing. Start-up is boot.ts.
//
//   serving --stop: cancel jobs (pipe stop, signal, idle, record replaced)--------> stopping --> stopped
//      |    --stop: drain (a --no-daemon client): finish jobs, end watches-------->    ^
//      +----project directory removed or replaced: orphaned, touches no file------------+
//
// Shut-down mirrors start-up: stop listening, remove the socket and records (each only if
// still ours), then release the store. An orphaned daemon (its .pipe/ is gone or another
// one's) removes nothing and does not close the store, whose files may now be another's.
import { rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../commands/build.js';
import type { Pipeline } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import { WarmPool } from '../tools/warm-pool.js';
import { ok, type Result } from '../util/result.js';
import { VERSION } from '../version.js';
import type { WatchHost, WatchLoop } from '../watch/watch-loop.js';
import { boot, type Booted } from './boot.js';
import { ChangeTracker, settle } from './change-tracker.js';
import { Connection } from './connection.js';
import { Idle } from './idle.js';
import { JobEnv } from './job-env.js';
import { JobQueue } from './job-queue.js';
import { fileId, removeIfSame } from './listen.js';
import { Listing } from './listing.js';
import { liveNoDaemonClient } from './no-daemon-marker.js';
import type { HelloMessage } from './messages/hello.js';
import type { ClientMessage } from './messages/index.js';
import { INSTANCES } from './messages/tools.js';
import type { WatchMessage } from './messages/watch.js';
import { removeOwnOwner, writeOwner } from './owner.js';
import { readRecord, type DaemonPaths } from './paths.js';
import { welcome } from './handshake.js';
import { PROTOCOL } from './protocol.js';
import { jobTitle, serveBuild, serveStatus, serveWhy } from './requests.js';
import { serveWatch } from './serve-watch.js';
import { PipelineLoader } from './pipeline-loader.js';
import type { DaemonStartFailure } from './start-failure.js';

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

type DaemonState = 'serving' | 'stopping' | 'stopped';

/** How the daemon stops: see the diagram above. */
export type StopHow = 'cancel' | 'drain' | 'orphaned';

/** How often the daemon checks that its .pipe/ and daemon.json are still its own. */
const RECORD_CHECK_MS = 2000;

/** Most time a stopping daemon gives cancelled jobs (or, draining, the jobs it finishes). */
const CANCEL_LIMIT_MS = 10_000;
const DRAIN_LIMIT_MS = 10 * 60_000;

type Handlers = { [K in ClientMessage['type']]: (c: Connection, m: Extract<ClientMessage, { type: K }>) => void };

export class Daemon implements WatchHost {
  readonly root: string;
  readonly session: Session;
  readonly pool: WarmPool;
  readonly paths: DaemonPaths;
  readonly #o: DaemonOptions;
  readonly #server: Server;
  readonly #socketId: string;
  readonly #pipeDirId: string;
  readonly #queue = new JobQueue();
  readonly #tracker: ChangeTracker;
  readonly #connections = new Set<Connection>();
  readonly #watches = new Set<WatchLoop>();
  readonly #loader: PipelineLoader;
  readonly #env = new JobEnv();
  readonly #listing = new Listing();
  #state: DaemonState = 'serving';
  #stopReason = '';
  #stopping: Promise<void> | undefined;
  readonly #stopped: Promise<void>;
  #markStopped: () => void = () => {};
  readonly #idle: Idle;
  readonly #recordTimer: NodeJS.Timeout;

  private constructor(o: DaemonOptions, b: Booted) {
    this.#o = o;
    this.root = o.root;
    this.paths = b.paths;
    this.session = b.session;
    this.#server = b.server;
    this.#socketId = b.socketId;
    this.#pipeDirId = b.pipeDirId;
    this.#stopped = new Promise((r) => (this.#markStopped = r));
    this.pool = new WarmPool({
      maxProcesses: availableParallelism(),
      logDir: join(b.session.pipeDir, 'logs'),
      onEvent: (e) => o.log(`warm ${e.tool} (pid ${e.pid}): ${e.kind}${e.kind === 'instance-stopped' ? ` (${e.why})` : ''}`),
    });
    this.#loader = new PipelineLoader(o.root, o.config, b.session, o.log, this.#watches);
    this.#tracker = new ChangeTracker(o.root, (key) => this.#loader.fileEvent(key), { disabled: o.statAll ?? false });
    b.server.on('connection', (s) => this.#accept(s));
    this.#recordTimer = setInterval(() => this.#checkRecords(), RECORD_CHECK_MS);
    this.#recordTimer.unref();
    this.#idle = new Idle(o.idleMs, { connections: () => this.#connections.size, jobs: () => this.#queue.size }, () => void this.stop(`no clients for ${o.idleMs} ms`));
    this.#idle.arm();
  }

  static async start(o: DaemonOptions): Promise<Result<Daemon, DaemonStartFailure>> {
    const booted = await boot(o.root, o.config);
    if (!booted.ok) return booted;
    const daemon = new Daemon(o, booted.value);
    o.log(`daemon ${VERSION} (protocol ${PROTOCOL}) pid ${process.pid} serving ${o.root} on ${booted.value.paths.socket}`);
    // A --no-daemon client that arrived while we opened the store may have found neither our
    // socket nor our owner record: now that both exist, look again and hand the store over.
    const noDaemon = liveNoDaemonClient(booted.value.paths.pipeDir);
    if (noDaemon !== undefined) {
      void daemon.stop(`a --no-daemon client (pid ${noDaemon}) wants the state store`, 'drain');
      return ok(daemon);
    }
    // Load the pipeline and learn the directories to watch before the first client's job.
    void daemon.exclusive(process.env as Record<string, string>, { out: o.log, err: o.log }, undefined, () => Promise.resolve(0)).catch((e: unknown) => o.log(`initial load failed: ${String(e)}`));
    return ok(daemon);
  }

  /** Resolves when the daemon has stopped (after stop()). */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  get state(): DaemonState {
    return this.#state;
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
      this.#env.apply(env);
      const pipeline = await this.#loader.ensure(io);
      if (typeof pipeline === 'number') {
        // Keep listening to the config's directory: a fix must reach a watch.
        this.#tracker.sync(this.session.stats, this.#loader.configDirs());
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
        this.#tracker.sync(this.session.stats, this.#loader.extraDirs(pipeline));
        this.#idle.collectSoon();
      }
    });
    function done(code: number): number {
      opts.onDone?.(code);
      return code;
    }
  }

  /** The existing files matching rule inputs: the session's scan, kept current from file events. */
  scan(pipeline: Pipeline): Promise<string[]> {
    return this.#listing.files(this.session, pipeline, (d) => this.#tracker.watching(d));
  }

  readonly #handlers: Handlers = {
    hello: (c, m) => this.#hello(c, m),
    build: (c, m) => this.#job(c, jobTitle(m), m.env, (p, signal) => serveBuild(this, c, m, p, signal), m.dryRun),
    why: (c, m) => this.#job(c, jobTitle(m), m.env, (p) => serveWhy(this, c, m, p), true),
    status: (c, m) => this.#job(c, jobTitle(m), m.env, (p) => serveStatus(this, c, m, p), true),
    watch: (c, m) => this.#watch(c, m),
    cancel: (c) => c.controller?.abort(),
    // Answered at once, beside a running build: it only reads the pool.
    tools: (c) => {
      c.send({ type: INSTANCES, instances: this.pool.list() });
      c.finish(0);
    },
    stop: (c, m) => {
      c.finish(0);
      void this.stop(m.drain === true ? 'a --no-daemon client takes the state store' : 'asked by a client', m.drain === true ? 'drain' : 'cancel');
    },
  };

  #hello(c: Connection, m: HelloMessage): void {
    const w = welcome(m, this.root, this.#o.config);
    c.greeted = true;
    c.refused = !w.ok;
    if (!w.ok) this.#o.log(`refusing a client of version ${m.version} (protocol ${m.protocol}, config ${m.config ?? 'default'}): it will replace this daemon`);
    c.send(w);
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
    const received = Date.now();
    const onDone = (code: number): void => {
      if (controller.signal.aborted && this.#state !== 'serving') c.io.err(`pipe: cancelled: the daemon is stopping (${this.#stopReason})\n`);
      c.finish(code);
      this.#o.log(`${what}: exit ${code} (${Date.now() - received} ms)`);
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

  #watch(c: Connection, m: WatchMessage): void {
    const controller = this.#claim(c);
    if (controller !== undefined) serveWatch(this, c, m, controller, this.#watches, this.#o.log, this.paths.log);
  }

  // ---- connections ---------------------------------------------------------------------------

  #accept(socket: Socket): void {
    if (this.#state !== 'serving') {
      socket.destroy();
      return;
    }
    const c = Connection.accept(
      socket,
      (conn, m) => (this.#handlers[m.type] as (c: Connection, m: ClientMessage) => void)(conn, m),
      (conn) => {
        this.#connections.delete(conn);
        this.#idle.arm();
      },
    );
    this.#connections.add(c);
    this.#idle.disarm();
  }

  /** A removed or re-created project, or another daemon's record, ends this daemon. */
  #checkRecords(): void {
    if (fileId(this.paths.pipeDir) !== this.#pipeDirId) void this.stop('its project directory (.pipe/) was removed or replaced', 'orphaned');
    else if (readRecord(this.paths.record)?.pid !== process.pid) void this.stop('.pipe/daemon.json was removed or replaced');
  }

  // ---- stopping ------------------------------------------------------------------------------

  /** Ends jobs (cancelled, or finished when draining) and watches, stops warm tools, releases the store and the socket. */
  stop(reason: string, how: StopHow = 'cancel'): Promise<void> {
    this.#stopping ??= this.#stop(reason, how).finally(() => this.#markStopped());
    return this.#stopping;
  }

  async #stop(reason: string, how: StopHow): Promise<void> {
    this.#state = 'stopping';
    this.#stopReason = reason;
    this.#o.log(`stopping: ${reason}`);
    this.#idle.close();
    clearInterval(this.#recordTimer);
    this.#server.close();
    // Touch files only where .pipe/ is still the one this daemon started in.
    const ours = (): boolean => how !== 'orphaned' && fileId(this.paths.pipeDir) === this.#pipeDirId;
    if (ours()) this.#tidy(() => {
      removeIfSame(this.paths.socket, this.#socketId);
      writeOwner(this.paths.pipeDir, this.paths.socket, how === 'drain' ? 'draining' : 'stopping');
    });
    for (const c of this.#connections) if (how !== 'drain' || c.watching) c.controller?.abort();
    await this.#settleJobs(how === 'drain' ? DRAIN_LIMIT_MS : CANCEL_LIMIT_MS);
    for (const c of this.#connections) c.socket.destroy();
    if (ours()) this.#tidy(() => readRecord(this.paths.record)?.pid === process.pid && rmSync(this.paths.record, { force: true }));
    this.#tracker.close();
    await this.pool.close();
    if (ours()) {
      // Before releasing the store: a successor takes the store first, then writes its own.
      this.#tidy(() => removeOwnOwner(this.paths.pipeDir));
      try {
        await this.session.close();
      } catch (e) {
        this.#o.log(`closing the state store failed: ${String(e)}`);
      }
    } else this.#o.log('not closing the state store: its directory is gone or belongs to another daemon now');
    this.#state = 'stopped';
    this.#o.log('stopped');
  }

  /** File bookkeeping while stopping: a project removed meanwhile must not stop the stop. */
  #tidy(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      this.#o.log(`while stopping: ${(e as Error).message}`);
    }
  }

  /** Waits (at most `ms`) until no job is queued or running and every connection has its answer. */
  async #settleJobs(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#queue.size > 0 || [...this.#connections].some((c) => !c.closed && !c.finished && !c.refused && c.greeted)) {
      if (Date.now() > deadline) {
        this.#o.log(`gave up waiting for jobs after ${ms} ms`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
