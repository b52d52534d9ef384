// One client connection to the daemon: its one request (a job or a watch), text and events
// sent back, and the exit code that ends it.
import type { Socket } from 'node:net';
import type { Io } from '../commands/build.js';
import { EXIT } from './messages/exit.js';
import { decodeClientMessage, type ClientMessage, type DaemonMessage } from './messages/index.js';
import { OUTPUT } from './messages/output.js';
import { encode, LineDecoder } from './protocol.js';

export class Connection {
  readonly socket: Socket;
  greeted = false;
  refused = false;
  closed = false;
  /** A watch rather than a job: a draining daemon ends watches and finishes jobs. */
  watching = false;
  /** The connection's one job (build, why, status) or watch. */
  controller: AbortController | undefined;
  readonly io: Io;
  #finished = false;

  /**
   * Wraps an accepted socket: each well-formed message goes to `onMessage` (hello first; a
   * client of another version only to stop), anything else is answered with exit 2. A
   * connection that closes cancels its job or watch, then `onClose` hears of it.
   */
  static accept(socket: Socket, onMessage: (c: Connection, m: ClientMessage) => void, onClose: (c: Connection) => void): Connection {
    const c = new Connection(socket);
    const decoder = new LineDecoder(
      (raw) => {
        const m = decodeClientMessage(raw);
        if (!m.ok) {
          c.io.err(`pipe: bad message to the daemon: ${m.error}\n`);
          return c.finish(2);
        }
        if (!c.greeted && m.value.type !== 'hello') {
          c.io.err(`pipe: the daemon expects hello first, got ${m.value.type}\n`);
          return c.finish(2);
        }
        if (c.refused && m.value.type !== 'stop') return;
        onMessage(c, m.value);
      },
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
      onClose(c);
    });
    return c;
  }

  private constructor(socket: Socket) {
    this.socket = socket;
    this.io = {
      out: (text) => this.send({ type: OUTPUT, stream: 'out', text }),
      err: (text) => this.send({ type: OUTPUT, stream: 'err', text }),
    };
  }

  send(m: DaemonMessage): void {
    if (!this.closed) this.socket.write(encode(m));
  }

  /** The exit code was sent. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Sends the exit code and ends the connection; later calls do nothing. */
  finish(code: number): void {
    if (this.#finished) return;
    this.#finished = true;
    this.send({ type: EXIT, code });
    if (!this.closed) this.socket.end();
  }
}
