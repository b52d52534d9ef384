// The client half of `pipe build|why|status|watch`: sends one request to the project's daemon
// (starting it in the background when none answers) and replays what comes back: build
// events through the caller's reporter, text to stdout/stderr, and the exit code.
//
// This is the hot path of every `pipe build` against a running daemon: it loads node:net,
// the protocol files and nothing of the engine (no level, jiti, fast-glob or execa).
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { BuildEvent } from '../engine/events.js';
import { VERSION } from '../version.js';
import type { BuildMessage } from './messages/build.js';
import { CANCEL } from './messages/cancel.js';
import { isEventMessage } from './messages/event.js';
import { isExitMessage } from './messages/exit.js';
import { HELLO, type HelloMessage } from './messages/hello.js';
import { isOutputMessage } from './messages/output.js';
import type { StatusMessage } from './messages/status.js';
import { STOP } from './messages/stop.js';
import type { WatchMessage } from './messages/watch.js';
import { isWelcomeMessage, type WelcomeMessage } from './messages/welcome.js';
import type { WhyMessage } from './messages/why.js';
import { daemonPaths, isAlive, logTail, readRecord, type DaemonPaths } from './paths.js';
import { encode, LineDecoder, PROTOCOL, VOLATILE_ENV, type Message } from './protocol.js';

export type DaemonRequest = BuildMessage | WhyMessage | StatusMessage | WatchMessage;

export interface DaemonTarget {
  root: string;
  /** Absolute --config file, or null. */
  config: string | null;
}

export interface ClientOptions {
  /** Start a daemon in the background when none answers. */
  autoStart: boolean;
  /** Where build events go (the same reporter as without the daemon). */
  onEvent?: (e: BuildEvent) => void;
  /** How long a starting daemon may take to answer. */
  startWaitMs?: number;
}

export function clientEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !VOLATILE_ENV.has(k)) env[k] = v;
  return env;
}

/**
 * Runs `request` in the project's daemon and resolves with its exit code, or undefined when
 * no daemon can serve it (none answers and none could be started): the caller then runs
 * the command in-process.
 */
export async function viaDaemon(t: DaemonTarget, request: DaemonRequest, o: ClientOptions): Promise<number | undefined> {
  const paths = await daemonPaths(t.root);
  const hello: HelloMessage = { type: HELLO, version: VERSION, protocol: PROTOCOL, root: t.root, config: t.config };
  let started = false;
  let restarted = false;
  let retried = false;
  for (;;) {
    const socket = await open(paths.socket);
    if (socket === undefined) {
      if (!o.autoStart || started) return undefined;
      started = true;
      const { startDaemon, describeStartFailure } = await import('./start.js');
      const idle = process.env['PIPE_DAEMON_IDLE_MS'];
      const s = await startDaemon(paths, { root: t.root, config: t.config, waitMs: o.startWaitMs ?? 5000, idleMs: idle !== undefined && /^\d+$/.test(idle) ? Number(idle) : undefined });
      if (!s.ok) {
        showLog(paths, `${describeStartFailure(s.error)}; building without it`);
        return undefined;
      }
      continue;
    }
    const r = await converse(socket, hello, request, o);
    switch (r.kind) {
      case 'exit':
        return r.code;
      case 'mismatch':
        // A daemon of another version (or config) serves this root: replace it, once.
        if (restarted) {
          process.stderr.write(`pipe: the daemon (pid ${r.welcome.pid}) is version ${r.welcome.version}; this pipe is ${VERSION}; could not replace it\n`);
          return undefined;
        }
        restarted = true;
        started = false;
        if (!(await waitForExit(r.welcome.pid, 5000))) {
          process.stderr.write(`pipe: the daemon of version ${r.welcome.version} (pid ${r.welcome.pid}) did not stop; building without it\n`);
          return undefined;
        }
        continue;
      case 'no-welcome':
        showLog(paths, `the daemon accepted the connection but did not answer within ${r.afterMs} ms; building without it (pipe stop ends it)`);
        return undefined;
      case 'gone':
        // Closed before answering: it was stopping (idle, or replaced). Ask again, once.
        if (retried) return undefined;
        retried = true;
        started = false;
        continue;
      case 'lost':
        showLog(paths, 'lost the connection to the daemon before the command finished (did it crash or get killed?)');
        return 1;
    }
  }
}

type Outcome =
  | { kind: 'exit'; code: number }
  | { kind: 'mismatch'; welcome: WelcomeMessage }
  | { kind: 'no-welcome'; afterMs: number }
  | { kind: 'gone' }
  | { kind: 'lost' };

const WELCOME_WAIT_MS = 10_000;

/** Sends hello and the request at once and plays back the answer. */
function converse(socket: Socket, hello: HelloMessage, request: Message, o: ClientOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let welcomed = false;
    let interrupts = 0;
    let done = false;
    const finish = (out: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      socket.destroy();
      resolve(out);
    };
    const onSignal = (): void => {
      // First Ctrl-C: the daemon cancels this build and answers 130. Second: give up on it.
      if (++interrupts === 1 && welcomed) socket.write(encode({ type: CANCEL }));
      else finish({ kind: 'exit', code: 130 });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = setTimeout(() => finish({ kind: 'no-welcome', afterMs: WELCOME_WAIT_MS }), WELCOME_WAIT_MS);
    const decoder = new LineDecoder(
      (m) => {
        if (done) return;
        if (!welcomed) {
          if (!isWelcomeMessage(m)) return finish({ kind: 'lost' });
          if (!m.ok) {
            socket.write(encode({ type: STOP }));
            done = true;
            clearTimeout(timer);
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            // Give the stop line time to leave; the daemon closes the connection as it exits.
            socket.once('close', () => resolve({ kind: 'mismatch', welcome: m }));
            socket.end();
            return;
          }
          welcomed = true;
          clearTimeout(timer);
          return;
        }
        if (isEventMessage(m)) o.onEvent?.(m.event);
        else if (isOutputMessage(m)) (m.stream === 'out' ? process.stdout : process.stderr).write(m.text);
        else if (isExitMessage(m)) finish({ kind: 'exit', code: m.code });
      },
      () => finish({ kind: 'lost' }),
    );
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => decoder.push(chunk));
    socket.on('error', () => finish({ kind: welcomed ? 'lost' : 'gone' }));
    socket.on('close', () => finish({ kind: welcomed ? 'lost' : 'gone' }));
    socket.write(encode(hello) + encode(request));
  });
}

/** A connected socket, or undefined when nothing listens (no socket file, or a stale one). */
function open(path: string): Promise<Socket | undefined> {
  // The request carries our environment: never hand it to another user's socket (a socket
  // in the shared temp directory has a name anyone can compute).
  const owner = lstatSync(path, { throwIfNoEntry: false })?.uid;
  if (owner !== undefined && process.getuid !== undefined && owner !== process.getuid()) {
    process.stderr.write(`pipe: ignoring ${path}: it belongs to uid ${owner}, not to you\n`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', () => resolve(undefined));
  });
}

function showLog(paths: DaemonPaths, what: string): void {
  const tail = logTail(paths.log);
  process.stderr.write(`pipe: ${what}\n${tail !== '' ? `The daemon log ${paths.log} ends with:\n${tail.replace(/^/gm, '  ')}\n` : ''}`);
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export type StopResult = { kind: 'stopped'; pid: number } | { kind: 'none' } | { kind: 'killed'; pid: number } | { kind: 'stuck'; pid: number };

/**
 * Stops the project's daemon (and its warm tools) and waits until it has exited, so that the
 * state store is free. A daemon that does not answer is sent SIGTERM, then SIGKILL.
 */
export async function stopDaemon(root: string, waitMs = 5000): Promise<StopResult> {
  const paths = await daemonPaths(root);
  const socket = await open(paths.socket);
  const record = readRecord(paths.record);
  if (socket !== undefined) {
    const pid = await new Promise<number | undefined>((resolve) => {
      let pid: number | undefined;
      const decoder = new LineDecoder(
        (m) => {
          if (isWelcomeMessage(m)) pid = m.pid;
        },
        () => {},
      );
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => decoder.push(c));
      socket.on('error', () => {});
      socket.on('close', () => resolve(pid));
      // Any version answers `stop`, whatever it thinks of our hello.
      const hello: HelloMessage = { type: HELLO, version: VERSION, protocol: PROTOCOL, root, config: null };
      socket.write(encode(hello) + encode({ type: STOP }));
    });
    const p = pid ?? record?.pid;
    if (p === undefined) return { kind: 'stopped', pid: -1 };
    if (await waitForExit(p, waitMs)) return { kind: 'stopped', pid: p };
    return (await kill(p, waitMs)) ? { kind: 'killed', pid: p } : { kind: 'stuck', pid: p };
  }
  // Nothing answers. A recorded daemon that is alive is hung; a dead one left stale files.
  if (record !== undefined && isAlive(record.pid) && looksLikeDaemon(record.pid)) {
    return (await kill(record.pid, waitMs)) ? { kind: 'killed', pid: record.pid } : { kind: 'stuck', pid: record.pid };
  }
  if (record !== undefined && !isAlive(record.pid)) {
    rmSync(paths.record, { force: true });
    rmSync(record.socket, { force: true });
  }
  return { kind: 'none' };
}

async function kill(pid: number, waitMs: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  if (await waitForExit(pid, waitMs)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return true;
  }
  return waitForExit(pid, 1000);
}

/** Guards against signalling an unrelated process that reused a dead daemon's pid. */
function looksLikeDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('daemon');
  } catch {
    return process.platform !== 'linux';
  }
}
