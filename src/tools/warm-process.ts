// The operating-system side of one warm instance: spawning it in its own process group,
// its pipes (stdin paced by 'drain', stderr into the log), signals, and keeping Node alive
// only while it works.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { NoSink, StderrSink } from './warm-stderr.js';
import type { WarmToolSpec } from './warm-types.js';

/** Largest piece handed to stdin.write at once; 'drain' paces the rest. */
const WRITE_SLICE = 256 * 1024;
/** Parts written together up to this size are joined into one write. */
const COALESCE_BYTES = 16 * 1024;
/** After 'exit', how long to wait for the pipes to close before judging the process gone. */
const CLOSE_GRACE_MS = 2000; // generous: under load the last stderr lines (the ones users need) arrive late

export interface ProcessHooks {
  spawned(): void;
  /** The process could not be started (missing executable, bad cwd, permissions). */
  spawnFailed(message: string): void;
  stdout(chunk: Buffer): void;
  /** The process exited; its pipes may still be draining. */
  exited(): void;
  /** Exited and its pipes closed (or CLOSE_GRACE_MS passed). */
  closed(exitCode: number | null, signal: string | null): void;
}

export class ToolProcess {
  readonly pid: number;
  readonly sink: StderrSink | NoSink;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  readonly #child: ChildProcess | null;
  readonly #hooks: ProcessHooks;
  #spawned = false;
  #gone = false;
  /** Byte sequences waiting to be written, with the offset reached in the first one. */
  #queue: Uint8Array[] = [];
  #offset = 0;
  #closeTimer: NodeJS.Timeout | undefined;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(spec: WarmToolSpec, logDir: string, hooks: ProcessHooks) {
    this.#hooks = hooks;
    let child: ChildProcess | null = null;
    let spawnError: Error | null = null;
    try {
      child = spawn(spec.argv[0] ?? '', spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Own process group, so a kill reaches wrappers' children too (sh -c, stdbuf...).
        detached: true,
        windowsHide: true,
      });
    } catch (error) {
      spawnError = error instanceof Error ? error : new Error(String(error));
    }
    this.#child = child;
    this.pid = child?.pid ?? 0;
    this.sink = child !== null && this.pid > 0 ? new StderrSink(logDir, spec.name, this.pid) : new NoSink();
    if (child === null) {
      const message = spawnMessage(spawnError?.message ?? 'spawn failed', spec);
      queueMicrotask(() => hooks.spawnFailed(message));
      return;
    }
    const { stdin, stdout, stderr } = child;
    if (stdin === null || stdout === null || stderr === null) throw new Error('warm tool spawned without pipes');
    child.on('spawn', () => {
      this.#spawned = true;
      hooks.spawned();
    });
    child.on('error', (error) => {
      if (this.pid === 0 || !this.#spawned) hooks.spawnFailed(spawnMessage(error.message, spec));
    });
    child.on('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
      if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
      hooks.exited();
      // 'close' follows once the pipes are drained; don't wait forever for a grandchild.
      this.#closeTimer = setTimeout(this.#onClosed, CLOSE_GRACE_MS);
    });
    child.on('close', this.#onClosed);
    stdin.on('drain', this.#writeMore);
    // EPIPE after the tool died: the exit path reports it, with the tool's stderr.
    stdin.on('error', () => {});
    stdout.on('data', (chunk: Buffer) => hooks.stdout(chunk));
    stdout.on('error', () => {});
    stderr.on('data', (chunk: Buffer) => this.sink.write(chunk));
    stderr.on('error', () => {});
  }

  get exited(): boolean {
    return this.exitCode !== null || this.exitSignal !== null;
  }

  /** Queues bytes for stdin, written ahead of the answers as fast as the pipe takes them. */
  write(...parts: readonly Uint8Array[]): void {
    let size = 0;
    for (const part of parts) size += part.length;
    // A small document and its marker in one write: one read and one answer chunk, not two.
    if (parts.length > 1 && size <= COALESCE_BYTES) this.#queue.push(Buffer.concat(parts, size));
    else for (const part of parts) if (part.length > 0) this.#queue.push(part);
    this.#writeMore();
  }

  /** Drops what was not written yet (the document was given up). */
  discardQueued(): void {
    this.#queue = [];
    this.#offset = 0;
  }

  #writeMore = (): void => {
    const stdin = this.#child?.stdin;
    if (stdin == null || this.#gone) return;
    while (this.#queue.length > 0) {
      const part = this.#queue[0] as Uint8Array;
      const start = this.#offset;
      const end = Math.min(part.length, start + WRITE_SLICE);
      if (end === part.length) {
        this.#queue.shift();
        this.#offset = 0;
      } else {
        this.#offset = end;
      }
      const slice = start === 0 && end === part.length ? part : part.subarray(start, end);
      if (!stdin.write(slice)) return; // resumes on 'drain'
    }
  };

  /** Closes stdin and sends SIGTERM, SIGKILL after `killAfterMs`. */
  terminate(killAfterMs: number, holdOpen: boolean): void {
    this.discardQueued();
    this.#child?.stdin?.end();
    this.signal('SIGTERM');
    this.#killTimer = setTimeout(() => this.signal('SIGKILL'), killAfterMs);
    if (holdOpen) this.setRef(true);
    else this.#killTimer.unref();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.pid <= 0 || this.#gone) return;
    try {
      process.kill(-this.pid, signal); // the whole process group
    } catch {
      this.#child?.kill(signal);
    }
  }

  /** Idle instances must not keep Node alive; working ones must. */
  setRef(on: boolean): void {
    const child = this.#child;
    if (child === null) return;
    if (on) child.ref();
    else child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      if (stream instanceof Socket) {
        if (on) stream.ref();
        else stream.unref();
      }
    }
    if (on) this.#killTimer?.ref();
  }

  #onClosed = (): void => {
    if (this.#gone) return;
    this.#gone = true;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
    const child = this.#child;
    child?.stdin?.destroy();
    child?.stdout?.destroy();
    child?.stderr?.destroy();
    this.setRef(false);
    this.#hooks.closed(this.exitCode, this.exitSignal);
  };
}

function spawnMessage(message: string, spec: WarmToolSpec): string {
  // Node reports a missing cwd as the executable's ENOENT; say which it is.
  const cause = existsSync(spec.cwd) ? '' : ` (the working directory ${JSON.stringify(spec.cwd)} does not exist)`;
  return `could not start ${JSON.stringify(spec.argv[0])} in ${JSON.stringify(spec.cwd)}: ${message}${cause}`;
}

/** Resident set size from /proc (Linux); null elsewhere or once the process is gone. */
export function readRss(pid: number): number | null {
  if (pid <= 0) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
