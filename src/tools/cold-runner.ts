// Runs a tool once per task (cold): inputs on stdin or as paths, stdout to a temp file.
import { closeSync, createReadStream, openSync } from 'node:fs';
import { err, ok, type Result } from '../util/result.js';

export type ColdFailure =
  | { reason: 'tool-exit'; exitCode: number | null; signal: string | null; stderrTail: string }
  | { reason: 'tool-timeout'; afterMs: number; stderrTail: string }
  | { reason: 'spawn-failed'; message: string }
  | { reason: 'cancelled' };

export interface ColdRun {
  executable: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Files concatenated on stdin, in order; null: stdin is closed. */
  stdinFiles: string[] | null;
  /** Where stdout goes; null: discarded. */
  stdoutFile: string | null;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

const TAIL_BYTES = 8192;

export async function runCold(run: ColdRun): Promise<Result<void, ColdFailure>> {
  const { execa } = await import('execa');
  let tail = Buffer.alloc(0);
  const single = run.stdinFiles !== null && run.stdinFiles.length === 1 ? run.stdinFiles[0] : undefined;
  // The tool reads and writes the files through descriptors it inherits: no byte of a
  // document passes through this process on the cold path.
  const fds: number[] = [];
  const stdinFd = single !== undefined ? openSync(single, 'r') : undefined;
  if (stdinFd !== undefined) fds.push(stdinFd);
  const stdoutFd = run.stdoutFile !== null ? openSync(run.stdoutFile, 'w') : undefined;
  if (stdoutFd !== undefined) fds.push(stdoutFd);
  const child = execa(run.executable, run.args, {
    cwd: run.cwd,
    env: run.env,
    extendEnv: false,
    stdin: (run.stdinFiles === null ? 'ignore' : (stdinFd ?? 'pipe')) as 'pipe',
    stdout: (stdoutFd ?? 'ignore') as 'ignore',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    // Its own process group, so a timeout or Ctrl-C stops the tool's children too (a shell
    // wrapper's `sleep` would otherwise hold stdout open and the build would wait for it).
    detached: true,
  });
  let stopped: 'timeout' | 'cancel' | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancel'): void => {
    if (stopped !== undefined) return;
    stopped = why;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 2000);
  };
  const timer = run.timeoutMs > 0 ? setTimeout(() => stop('timeout'), run.timeoutMs) : undefined;
  const onAbort = (): void => stop('cancel');
  if (run.signal?.aborted === true) onAbort();
  run.signal?.addEventListener('abort', onAbort, { once: true });
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES * 2) tail = tail.subarray(tail.length - TAIL_BYTES);
  });
  if (run.stdinFiles !== null && single === undefined && child.stdin !== null) {
    const stdin = child.stdin;
    stdin.on('error', () => {}); // a tool may exit without reading all input; its exit status says the rest
    void (async () => {
      for (const f of run.stdinFiles ?? []) {
        for await (const chunk of createReadStream(f)) {
          if (!stdin.write(chunk)) await new Promise((r) => stdin.once('drain', r));
        }
      }
      stdin.end();
    })().catch(() => stdin.destroy());
  }
  const result = await child.finally(() => {
    for (const fd of fds) closeSync(fd);
  });
  clearTimeout(timer);
  clearTimeout(killTimer);
  run.signal?.removeEventListener('abort', onAbort);
  const stderrTail = tail.subarray(Math.max(0, tail.length - TAIL_BYTES)).toString('utf8');
  if (stopped === 'cancel') return err({ reason: 'cancelled' });
  if (stopped === 'timeout') return err({ reason: 'tool-timeout', afterMs: run.timeoutMs, stderrTail });
  if (result.failed && result.exitCode === undefined && result.signal === undefined) {
    return err({ reason: 'spawn-failed', message: result.shortMessage ?? String(result.message) });
  }
  if (result.exitCode !== 0) {
    return err({ reason: 'tool-exit', exitCode: result.exitCode ?? null, signal: result.signal ?? null, stderrTail });
  }
  return ok(undefined);
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
