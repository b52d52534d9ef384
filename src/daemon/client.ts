// The client half of `pipe build|why|status|watch`: sends one request to the project's daemon
// (starting it in the background when none answers) and replays what comes back: build
// events through the caller's reporter, text to stdout/stderr, and the exit code. A daemon
// that holds the store but cannot serve (its socket gone, or it accepts and never answers)
// is ended and replaced, with a message saying so.
//
// This is the hot path of every `pipe build` against a running daemon: it loads node:net,
// the protocol files and nothing of the engine (no level, jiti, fast-glob or execa); what
// recovers from a daemon that cannot serve loads only when one is met.
import type { BuildEvent } from '../engine/events.js';
import { VERSION } from '../version.js';
import { answerMs, startMs } from './bounds.js';
import { answers, converse, open } from './conversation.js';
import type { BuildMessage } from './messages/build.js';
import { HELLO, type HelloMessage } from './messages/hello.js';
import type { StatusMessage } from './messages/status.js';
import type { WatchMessage } from './messages/watch.js';
import type { WhyMessage } from './messages/why.js';
import { daemonPaths, logTail, type DaemonPaths } from './paths.js';
import { PROTOCOL, VOLATILE_ENV } from './protocol.js';

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
  let ended = false;
  let looked = false;
  let patient = false;
  for (;;) {
    const socket = await open(paths.socket);
    if (socket === undefined) {
      // A daemon that holds the store but no longer listens (its socket removed) blocks every build.
      if (!ended) {
        const { endDaemon, recordedDaemon } = await import('./recover.js');
        const stuck = recordedDaemon(paths);
        // A daemon that was starting when we tried may listen by now: look once more first.
        if (stuck !== undefined && !looked && (await answers(paths.socket))) {
          looked = true;
          continue;
        }
        ended = true;
        if (stuck !== undefined) {
          if (stuck.state === 'draining') return note('the daemon is finishing its jobs for a --no-daemon client; building in this process');
          if (stuck.state !== 'stopping') process.stderr.write(`pipe: the daemon (pid ${stuck.pid}) holds the state store but does not answer on ${paths.socket}; stopping it\n`);
          if ((await endDaemon(stuck)).kind === 'stuck') return note(`the daemon (pid ${stuck.pid}) does not exit, even after SIGKILL; building without it`);
        }
      }
      if (!o.autoStart || started) return undefined;
      const { liveNoDaemonClient } = await import('./no-daemon-marker.js');
      const noDaemon = liveNoDaemonClient(paths.pipeDir);
      if (noDaemon !== undefined) return note(`a --no-daemon build (pid ${noDaemon}) has the state store; building in this process`);
      started = true;
      const { startDaemon, describeStartFailure } = await import('./start.js');
      const idle = process.env['PIPE_DAEMON_IDLE_MS'];
      const s = await startDaemon(paths, { root: t.root, config: t.config, waitMs: startMs(), idleMs: idle !== undefined && /^\d+$/.test(idle) ? Number(idle) : undefined });
      if (!s.ok) {
        if (s.error.reason === 'store-busy') return note('another pipe process has the state store; building in this process once it is free');
        showLog(paths, `${describeStartFailure(s.error)}; building without it`);
        return undefined;
      }
      continue;
    }
    const r = await converse(socket, hello, request, answerMs(), o.onEvent);
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
        const { waitForExit } = await import('./terminate.js');
        if (!(await waitForExit(r.welcome.pid, answerMs()))) {
          process.stderr.write(`pipe: the daemon of version ${r.welcome.version} (pid ${r.welcome.pid}) did not stop within ${answerMs()} ms; building without it\n`);
          return undefined;
        }
        continue;
      case 'no-welcome': {
        // Accepted but silent (stopped, or wedged): it holds the store, so end it and start afresh.
        const { endDaemon, recordedDaemon } = await import('./recover.js');
        const { isStopped } = await import('./process-identity.js');
        const hung = ended ? undefined : recordedDaemon(paths);
        // A running daemon may be busy (loading a config blocks its event loop for a while):
        // it gets a second bound before it counts as hung; a stopped one (SIGSTOP) none.
        if (hung !== undefined && !patient && !isStopped(hung.pid)) {
          patient = true;
          continue;
        }
        if (hung === undefined) {
          showLog(paths, `the daemon accepted the connection but did not answer within ${r.afterMs} ms; building without it (pipe stop ends it)`);
          return undefined;
        }
        ended = true;
        started = false;
        process.stderr.write(`pipe: the daemon (pid ${hung.pid}) accepted the connection but did not answer within ${r.afterMs} ms; stopping it\n`);
        if ((await endDaemon({ pid: hung.pid, state: 'serving' })).kind === 'stuck') return note(`the daemon (pid ${hung.pid}) does not exit, even after SIGKILL; building without it`);
        continue;
      }
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

function note(what: string): undefined {
  process.stderr.write(`pipe: ${what}\n`);
  return undefined;
}

function showLog(paths: DaemonPaths, what: string): void {
  const tail = logTail(paths.log);
  process.stderr.write(`pipe: ${what}\n${tail !== '' ? `The daemon log ${paths.log} ends with:\n${tail.replace(/^/gm, '  ')}\n` : ''}`);
}
