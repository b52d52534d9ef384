// `pipe stop`, and what `--no-daemon` and `pipe clean` do first: ask the project's daemon to
// stop and wait, bounded, until it has exited and the state store is free. A daemon that
// does not answer, or answers but does not exit, is ended with signals (recover.ts).
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { VERSION } from '../version.js';
import { answerMs, drainMs, exitMs } from './bounds.js';
import { answers, open } from './conversation.js';
import { HELLO, type HelloMessage } from './messages/hello.js';
import { STOP, type StopMessage } from './messages/stop.js';
import { isWelcomeMessage } from './messages/welcome.js';
import { daemonPaths, isAlive, readRecord } from './paths.js';
import { encode, LineDecoder, PROTOCOL } from './protocol.js';
import { endDaemon, recordedDaemon } from './recover.js';
import { waitForExit } from './terminate.js';

export type StopResult =
  | { kind: 'stopped'; pid: number }
  | { kind: 'none' }
  /** It did not answer within `afterMs`, or did not exit: ended with signals. */
  | { kind: 'killed'; pid: number; afterMs: number }
  | { kind: 'stuck'; pid: number }
  /** Draining: still finishing its jobs after `afterMs`. */
  | { kind: 'busy'; pid: number; afterMs: number };

/**
 * Stops the project's daemon and its warm tools. `drain`: let it finish the jobs it has (other
 * clients' builds) instead of cancelling them, for a --no-daemon client about to take the store.
 */
export async function stopDaemon(root: string, opts: { drain?: boolean } = {}): Promise<StopResult> {
  const paths = await daemonPaths(root);
  const drain = opts.drain === true;
  for (let attempt = 0; ; attempt++) {
    const socket = await open(paths.socket);
    if (socket !== undefined) {
      const asked = await askToStop(socket, root, drain, answerMs());
      if (asked.answered) {
        const pid = asked.pid ?? readRecord(paths.record)?.pid;
        if (pid === undefined) return { kind: 'stopped', pid: -1 };
        const waited = drain ? drainMs() : exitMs();
        if (await waitForExit(pid, waited)) return { kind: 'stopped', pid };
        if (drain) return { kind: 'busy', pid, afterMs: waited };
        return ended(await endDaemon({ pid, state: 'serving' }), waited);
      }
    }
    // Nothing answers, or it accepted and said nothing: a daemon the records name is stuck...
    const d = recordedDaemon(paths);
    if (d === undefined) break;
    // ...unless it was starting when we looked and listens by now: ask it properly.
    if (socket === undefined && attempt === 0 && (await answers(paths.socket))) continue;
    if (d.state === 'draining') return (await waitForExit(d.pid, drainMs())) ? { kind: 'stopped', pid: d.pid } : { kind: 'busy', pid: d.pid, afterMs: drainMs() };
    return ended(await endDaemon(d), answerMs());
  }
  const record = readRecord(paths.record);
  if (record !== undefined && !isAlive(record.pid)) {
    rmSync(paths.record, { force: true });
    // A successor may have renamed its socket into place before writing its record.
    if (!(await answers(record.socket))) rmSync(record.socket, { force: true });
  }
  return { kind: 'none' };
}

function ended(e: Awaited<ReturnType<typeof endDaemon>>, afterMs: number): StopResult {
  return e.kind === 'exited' ? { kind: 'stopped', pid: e.pid } : e.kind === 'killed' ? { kind: 'killed', pid: e.pid, afterMs } : e;
}

/** Sends stop; `answered` once the daemon closes the connection (after welcome and exit). */
function askToStop(socket: Socket, root: string, drain: boolean, ms: number): Promise<{ answered: boolean; pid: number | undefined }> {
  return new Promise((resolve) => {
    let pid: number | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answered: false, pid });
    }, ms);
    const decoder = new LineDecoder(
      (m) => {
        if (isWelcomeMessage(m)) pid = m.pid;
      },
      () => {},
    );
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => decoder.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answered: true, pid });
    });
    // Any version answers `stop`, whatever it thinks of our hello.
    const hello: HelloMessage = { type: HELLO, version: VERSION, protocol: PROTOCOL, root, config: null };
    const stop: StopMessage = drain ? { type: STOP, drain } : { type: STOP };
    socket.write(encode(hello) + encode(stop));
  });
}
