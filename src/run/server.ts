// A `pipe run` server: one tool identity, a WarmPool of its instances, a unix socket
// (0600, in a 0700 directory) that takes one document per connection.
//
// Life of a server:
//
//   start ──► listening ──(a call)──► serving ──(last call done)──► listening
//     │           │                                                     │
//     │   (idle for idleSeconds; retire request from a newer server of the same
//     │    command; its socket path taken over; SIGTERM/SIGINT/SIGHUP)
//     │           ▼
//     │      draining: socket unlinked and closed, calls in flight finish
//     │           ▼
//     └──(socket already served by a live twin: exit 0)──► exit
//
// It writes `.pipe/run/<key>.json` (a ServerRecord) so `pipe tools` and newer servers can
// find it, and removes only its own files (checked by pid and socket inode).
import { chmodSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { basename, join } from 'node:path';
import { DEFAULT_RECORD_TIMEOUT_MS } from '../engine/warm-runner.js';
import { formatWarmFailure } from '../report/format-failure.js';
import { WarmPool, type Framing, type WarmToolSpec } from '../tools/warm-pool.js';
import { encodeHeader, HeaderReader, PROTOCOL_VERSION } from './frames.js';
import { ensureDirs, recordPath, toolLogDir } from './rendezvous.js';
import type { Request, RetireResponse, RunRequest, RunResponse, ServerRecord, ToolsResponse } from './protocol.js';
import { ask, readRecords, removeIfDead, removeRecordIfOwn, socketAnswers, writeRecord } from './registry.js';

/** What the client passes to a server it starts (as one JSON argument). */
export interface ServerConfig {
  key: string;
  slot: string;
  descriptor: string;
  /** argv[0] absolute. */
  argv: string[];
  cwd: string;
  /** The run directory (`.pipe/run`). */
  dir: string;
  socket: string;
  /** Where the server's own stdout/stderr go (the client opened it). */
  log: string;
  input: string | null;
  output: string | null;
  prelude: number;
  idleSeconds: number | null;
  timeoutMs: number | null;
  instances: number | null;
}

export const DEFAULT_IDLE_SECONDS = 300;
export const DEFAULT_INSTANCES = 2;
/** How often the server checks that its socket path is still its own. */
const WATCH_MS = 2000;
/** Answers up to this size are copied behind their header and sent in one write. */
const SMALL_ANSWER = 256 * 1024;
/** Logs of servers and tools older than this are removed when a server starts. */
const LOG_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} [pid ${process.pid}] ${message}\n`);
}

export async function serve(config: ServerConfig): Promise<void> {
  process.umask(0o077);
  ensureDirs(config.dir, config.socket);
  const settings = {
    idleSeconds: config.idleSeconds ?? DEFAULT_IDLE_SECONDS,
    timeoutMs: config.timeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS,
    instances: config.instances ?? DEFAULT_INSTANCES,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env['PYTHONUNBUFFERED'] = '1';
  const framing: Framing = config.input === null ? { kind: 'lines' } : { kind: 'terminated', input: new RegExp(config.input), output: new RegExp(config.output ?? config.input) };
  const name = basename(config.argv[0] ?? 'tool');
  const specFor = (): WarmToolSpec => ({
    name,
    identity: config.key,
    argv: config.argv,
    cwd: config.cwd,
    env,
    framing,
    prelude: config.prelude,
    timeoutMs: settings.timeoutMs,
    instances: settings.instances,
    idleMs: Infinity, // instances live as long as the server
    retries: 0,
  });
  const pool = new WarmPool({
    maxProcesses: 64,
    logDir: toolLogDir(config.dir),
    onEvent: (e) => log(e.kind === 'instance-failed' ? `${e.kind} ${e.tool} pid ${e.pid}: ${formatWarmFailure(e.failure)}` : `${e.kind} ${e.tool} pid ${e.pid}${e.kind === 'instance-stopped' ? ` (${e.why})` : ''}`),
  });

  const record: ServerRecord = {
    v: PROTOCOL_VERSION,
    pid: process.pid,
    key: config.key,
    slot: config.slot,
    socket: config.socket,
    cwd: config.cwd,
    argv: config.argv,
    startedAt: Date.now(),
    log: config.log,
  };

  let active = 0;
  let draining = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let drained: (() => void) | undefined;
  const armIdle = (): void => {
    clearTimeout(idleTimer);
    if (active === 0 && !draining) idleTimer = setTimeout(() => void shutdown(`idle for ${settings.idleSeconds} s`, true), Math.min(settings.idleSeconds * 1000, 2 ** 31 - 1));
  };

  const handle = (conn: Socket): void => {
    active++;
    clearTimeout(idleTimer);
    const reader = new HeaderReader();
    const body: Buffer[] = [];
    const abort = new AbortController();
    let request: Request | undefined;
    let replied = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      active--;
      if (active === 0) {
        drained?.();
        armIdle();
      }
    };
    const reply = (header: RunResponse | ToolsResponse | RetireResponse, output?: Uint8Array): void => {
      if (replied) return;
      replied = true;
      const head = encodeHeader(header);
      // One write for small answers: the client gets header, body and end in one read.
      if (output === undefined || output.byteLength === 0) conn.end(head);
      else if (output.byteLength <= SMALL_ANSWER) conn.end(Buffer.concat([head, output]));
      else {
        conn.write(head);
        conn.end(output);
      }
    };
    conn.on('error', () => {});
    conn.on('close', () => {
      if (!replied) abort.abort(new Error('client went away'));
      finish();
    });
    conn.on('data', (chunk: Buffer) => {
      if (request !== undefined) {
        body.push(chunk);
        return;
      }
      let got;
      try {
        got = reader.push(chunk);
      } catch (e) {
        reply({ ok: false, reason: 'bad-request', message: `bad request frame: ${(e as Error).message}` });
        return;
      }
      if (got === null) return;
      if (!isRequest(got.header)) {
        reply({ ok: false, reason: 'bad-request', message: `unknown request ${JSON.stringify(got.header).slice(0, 200)}` });
        return;
      }
      request = got.header;
      body.push(got.rest);
      if (request.type === 'tools') {
        reply({ ok: true, server: record, instances: pool.list() });
      } else if (request.type === 'retire') {
        reply({ ok: true });
        void shutdown(`retired by the newer server ${request.by}`, true);
      }
    });
    conn.on('end', () => {
      if (request?.type !== 'run' || replied) return;
      void run(request, Buffer.concat(body), abort.signal).then(
        (r) => reply(r.response, r.output),
        (e: unknown) => {
          if (!abort.signal.aborted) reply({ ok: false, reason: 'tool-failed', message: `internal error: ${(e as Error).message}` });
        },
      );
    });
  };

  const run = async (req: RunRequest, input: Buffer, signal: AbortSignal): Promise<{ response: RunResponse; output?: Uint8Array }> => {
    if (req.v !== PROTOCOL_VERSION) return { response: { ok: false, reason: 'version-mismatch', message: `client protocol ${req.v}, server ${PROTOCOL_VERSION}` } };
    if (req.identity !== config.descriptor) {
      return { response: { ok: false, reason: 'identity-mismatch', message: `the server at ${config.socket} runs another version of this tool (key collision); remove that socket and retry` } };
    }
    if (req.timeoutMs !== undefined) settings.timeoutMs = req.timeoutMs;
    if (req.instances !== undefined) settings.instances = req.instances;
    if (req.idleSeconds !== undefined) settings.idleSeconds = req.idleSeconds;
    const r = await pool.process(specFor(), input, signal);
    if (r.ok) return { response: { ok: true, bytes: r.value.byteLength }, output: r.value };
    log(`call failed: ${formatWarmFailure(r.error)}`);
    return { response: { ok: false, reason: 'tool-failed', message: formatWarmFailure(r.error) } };
  };

  let socketIno: number | null = null;
  let watch: NodeJS.Timeout | undefined;
  const ownsSocket = (): boolean => socketIno !== null && statSync(config.socket, { throwIfNoEntry: false })?.ino === socketIno;
  const shutdown = async (why: string, graceful: boolean): Promise<void> => {
    if (draining) return;
    draining = true;
    clearTimeout(idleTimer);
    clearInterval(watch);
    log(`shutting down: ${why}`);
    if (ownsSocket()) rmSync(config.socket, { force: true });
    removeRecordIfOwn(recordPath(config.dir, config.key));
    server.close();
    if (graceful && active > 0) await new Promise<void>((r) => (drained = r));
    await pool.close();
    process.exit(0);
  };

  const server = createServer({ allowHalfOpen: true }, handle);
  server.on('error', (e) => log(`server error: ${e.message}`));

  // Bind: an existing socket answering means a twin won the race; a dead one is stale.
  if (!(await listen(server, config.socket))) {
    if (await socketAnswers(config.socket)) {
      log(`another server already serves ${config.socket}; exiting`);
      await pool.close();
      process.exit(0);
    }
    rmSync(config.socket, { force: true });
    if (!(await listen(server, config.socket))) {
      log(`cannot listen on ${config.socket}: in use`);
      process.exit(1);
    }
  }
  chmodSync(config.socket, 0o600);
  socketIno = statSync(config.socket).ino;
  writeRecord(recordPath(config.dir, config.key), record);
  log(`serving ${JSON.stringify(config.argv)} in ${config.cwd} on ${config.socket} (key ${config.key})`);

  watch = setInterval(() => {
    if (!ownsSocket()) void shutdown('socket path taken over or removed', true);
  }, WATCH_MS);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void shutdown(sig, false));

  armIdle();
  retireOthers(config, record);
  pruneLogs(config.dir);
}

function isRequest(value: unknown): value is Request {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'run' || type === 'tools' || type === 'retire';
}

function listen(server: Server, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') resolve(false);
      else reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(path);
  });
}

/** Tells older servers of the same command (another tool version) to finish and exit. */
function retireOthers(config: ServerConfig, self: ServerRecord): void {
  for (const other of readRecords(config.dir)) {
    if (other.slot !== config.slot || other.key === config.key) continue;
    log(`retiring ${other.key} (pid ${other.pid}): the tool changed`);
    void ask(other.socket, { type: 'retire', v: PROTOCOL_VERSION, by: self.key }, 5000).then((answer) => {
      if (answer === null) removeIfDead(config.dir, other);
    });
  }
}

function pruneLogs(dir: string): void {
  const cutoff = Date.now() - LOG_MAX_AGE_MS;
  for (const d of [dir, toolLogDir(dir)]) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith('.log')) continue;
      const p = join(d, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st !== undefined && st.mtimeMs < cutoff) rmSync(p, { force: true });
    }
  }
}
