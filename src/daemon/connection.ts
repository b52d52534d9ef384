// One client connection to the daemon: its one request (a job or a watch), text and events
// sent back, and the exit code that ends it.
import type { Socket } from 'node:net';
import type { Io } from '../commands/build.js';
import { EXIT } from './messages/exit.js';
import type { DaemonMessage } from './messages/index.js';
import { OUTPUT } from './messages/output.js';
import { encode } from './protocol.js';

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
