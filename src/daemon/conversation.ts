// One request to a running daemon over its socket: hello and the request at once, then the
// answer played back (events to the caller's reporter, text to stdout/stderr) until `exit`.
// Every wait is bounded: a daemon that accepts the connection but does not welcome it
// within answerMs() is reported as such.
import { lstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { BuildEvent } from '../engine/events.js';
import { CANCEL } from './messages/cancel.js';
import { isEventMessage } from './messages/event.js';
import { isExitMessage } from './messages/exit.js';
import type { HelloMessage } from './messages/hello.js';
import { isOutputMessage } from './messages/output.js';
import { STOP } from './messages/stop.js';
import { isWelcomeMessage, type WelcomeMessage } from './messages/welcome.js';
import { encode, LineDecoder, type Message } from './protocol.js';

export type Outcome =
  | { kind: 'exit'; code: number }
  | { kind: 'mismatch'; welcome: WelcomeMessage }
  | { kind: 'no-welcome'; afterMs: number }
  | { kind: 'gone' }
  | { kind: 'lost' };

/** Sends hello and the request at once and plays back the answer. */
export function converse(socket: Socket, hello: HelloMessage, request: Message, answerMs: number, onEvent?: (e: BuildEvent) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    let welcomed = false;
    let interrupts = 0;
    let done = false;
    const settle = (): void => {
      done = true;
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    const finish = (out: Outcome): void => {
      if (done) return;
      settle();
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
    const timer = setTimeout(() => finish({ kind: 'no-welcome', afterMs: answerMs }), answerMs);
    const decoder = new LineDecoder(
      (m) => {
        if (done) return;
        if (!welcomed) {
          if (!isWelcomeMessage(m)) return finish({ kind: 'lost' });
          if (!m.ok) {
            socket.write(encode({ type: STOP }));
            settle();
            // Give the stop line time to leave; the daemon closes the connection as it exits.
            const bound = setTimeout(() => socket.destroy(), answerMs);
            socket.once('close', () => {
              clearTimeout(bound);
              resolve({ kind: 'mismatch', welcome: m });
            });
            socket.end();
            return;
          }
          welcomed = true;
          clearTimeout(timer);
          return;
        }
        if (isEventMessage(m)) onEvent?.(m.event);
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

/** True when something accepts connections on the socket. */
export async function answers(path: string): Promise<boolean> {
  const s = await open(path);
  s?.destroy();
  return s !== undefined;
}

/** A connected socket, or undefined when nothing listens (no socket file, or a stale one). */
export function open(path: string): Promise<Socket | undefined> {
  // The request carries our environment: never hand it to another user's socket.
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
