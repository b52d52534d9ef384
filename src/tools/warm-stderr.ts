// Drains a warm instance's stderr into its log file and keeps the last lines for failures.

import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const TAIL_BYTES = 16 * 1024;
const TAIL_LINES = 20;

/** Log file of one instance: `${logDir}/<tool>-<pid>.log`, tool name made file-safe. */
export function logPath(logDir: string, tool: string, pid: number): string {
  return join(logDir, `${tool.replace(/[^A-Za-z0-9._-]/g, '_')}-${pid}.log`);
}

export class StderrSink {
  readonly path: string;
  readonly #file: WriteStream | null;
  #tail: Buffer = Buffer.alloc(0);
  #closed: Promise<void> | undefined;

  constructor(logDir: string, tool: string, pid: number) {
    this.path = logPath(logDir, tool, pid);
    // An unwritable log dir or a full disk must not take the pool down; the tail still works.
    let file: WriteStream | null = null;
    try {
      mkdirSync(logDir, { recursive: true });
      file = createWriteStream(this.path, { flags: 'a' });
      file.on('error', () => {});
    } catch {
      file = null;
    }
    this.#file = file;
  }

  write(chunk: Buffer): void {
    this.#file?.write(chunk);
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
    this.#file?.write(`[docpipe] ${text}\n`);
  }

  /** The last ~20 lines of stderr. */
  tail(): string {
    const text = this.#tail.toString('utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-TAIL_LINES).join('\n');
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      if (this.#file === null) resolve();
      else this.#file.end(() => resolve());
    });
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
