// Drains a warm instance's stderr into its log file and keeps the last lines for failures.
// The log is bounded: past LOG_ROTATE_BYTES it moves to `<log>.1` (replacing the one
// before) and a new file begins, so an instance keeps about its last 2 x LOG_ROTATE_BYTES.

import { createWriteStream, mkdirSync, renameSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const TAIL_BYTES = 16 * 1024;
const TAIL_LINES = 20;
/** Size at which an instance's log is rotated; a tool flooding stderr keeps its last ~1 MiB. */
export const LOG_ROTATE_BYTES = 512 * 1024;

/** Log file of one instance: `${logDir}/<tool>-<pid>.log`, tool name made file-safe. */
export function logPath(logDir: string, tool: string, pid: number): string {
  return join(logDir, `${tool.replace(/[^A-Za-z0-9._-]/g, '_')}-${pid}.log`);
}

export class StderrSink {
  readonly path: string;
  #file: WriteStream | null;
  /** Bytes written to the current file. */
  #size = 0;
  /** Earlier files, still flushing after a rotation. */
  readonly #rotated: WriteStream[] = [];
  #tail: Buffer = Buffer.alloc(0);
  #closed: Promise<void> | undefined;

  constructor(logDir: string, tool: string, pid: number) {
    this.path = logPath(logDir, tool, pid);
    // An unwritable log dir or a full disk must not take the pool down; the tail still works.
    try {
      mkdirSync(logDir, { recursive: true });
    } catch {
      // openFile reports nothing either: no log, the tail still works.
    }
    this.#file = this.#open('a');
  }

  #open(flags: 'a' | 'w'): WriteStream | null {
    try {
      const file = createWriteStream(this.path, { flags });
      file.on('error', () => {});
      return file;
    } catch {
      return null;
    }
  }

  /** Moves the full log aside; its stream keeps writing into the renamed file until flushed. */
  #rotate(): void {
    const old = this.#file;
    if (old === null) return;
    try {
      renameSync(this.path, `${this.path}.1`);
    } catch {
      return; // keep appending: a log that cannot rotate is still better than none
    }
    this.#rotated.push(old);
    old.end(() => this.#rotated.splice(this.#rotated.indexOf(old), 1));
    this.#file = this.#open('w');
    this.#size = 0;
  }

  #append(data: Buffer | string): void {
    if (this.#file === null) return;
    this.#file.write(data);
    this.#size += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    if (this.#size >= LOG_ROTATE_BYTES) this.#rotate();
  }

  write(chunk: Buffer): void {
    this.#append(chunk);
    const joined = this.#tail.length + chunk.length;
    if (chunk.length >= TAIL_BYTES) {
      this.#tail = Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES));
    } else if (joined <= TAIL_BYTES) {
      this.#tail = Buffer.concat([this.#tail, chunk], joined);
    } else {
      this.#tail = Buffer.concat([this.#tail.subarray(joined - TAIL_BYTES), chunk], TAIL_BYTES);
    }
  }

  /** A line written by docpipe itself (why the instance was killed), marked as such. */
  note(text: string): void {
    this.#append(`[docpipe] ${text}\n`);
  }

  /** The last ~20 lines of stderr. */
  tail(): string {
    const text = this.#tail.toString('utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-TAIL_LINES).join('\n');
  }

  close(): Promise<void> {
    this.#closed ??= Promise.all(
      [this.#file, ...this.#rotated].map(
        (file) => new Promise<void>((resolve) => (file === null || file.writableFinished ? resolve() : file.end(() => resolve()))),
      ),
    ).then(() => undefined);
    return this.#closed;
  }
}

/** Stand-in when there is no process (spawn failed): no file, empty tail. */
export class NoSink {
  readonly path = '';
  write(): void {}
  note(): void {}
  tail(): string {
    return '';
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
