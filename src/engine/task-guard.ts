// The one place where a throw inside a task becomes a failure value. A system call that
// failed on a file (EROFS, ENOSPC, ENOENT of an input deleted mid-build, ...) is an expected
// failure and is named by operation and path; anything else is a bug in docpipe: the task
// fails with `internal-error`, its stack goes to .pipe/logs/internal-errors.log, and the
// build (and the daemon running it) carries on.
import { appendFileSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { err, type Result } from '../util/result.js';
import type { TaskFailure } from './events.js';

export interface GuardContext {
  root: string;
  /** Where internal errors' stacks are appended. */
  logDir: string;
}

/** Runs a task body; a throw (or rejection) comes back as a failure value. */
export async function guardTask<T>(ctx: GuardContext, body: () => Promise<Result<T, TaskFailure>>): Promise<Result<T, TaskFailure>> {
  try {
    return await body();
  } catch (e) {
    return err(failureOf(e, ctx));
  }
}

/** The synchronous twin of guardTask, for the scheduler's freshness check. */
export function guardSync<T>(ctx: GuardContext, body: () => T): Result<T, TaskFailure> {
  try {
    return { ok: true, value: body() };
  } catch (e) {
    return err(failureOf(e, ctx));
  }
}

export function failureOf(e: unknown, ctx: GuardContext): TaskFailure {
  const io = ioFailure(e, ctx.root);
  if (io !== undefined) return io;
  const message = e instanceof Error ? e.message : String(e);
  const stack = e instanceof Error ? (e.stack ?? message) : message;
  const log = join(ctx.logDir, 'internal-errors.log');
  try {
    mkdirSync(ctx.logDir, { recursive: true });
    appendFileSync(log, `${new Date().toISOString()} pid ${process.pid}\n${stack}\n\n`);
    return { reason: 'internal-error', message, log: relative(ctx.root, log) };
  } catch {
    // A full disk cannot take the log either; the message alone must do.
    return { reason: 'internal-error', message, log: undefined };
  }
}

/** A failed system call on a file, as a value; undefined for anything else. */
export function ioFailure(e: unknown, root: string): Extract<TaskFailure, { reason: 'io-error' }> | undefined {
  if (!(e instanceof Error)) return undefined;
  const x = e as NodeJS.ErrnoException;
  if (typeof x.code !== 'string' || typeof x.syscall !== 'string') return undefined;
  const path = typeof x.path === 'string' ? displayPath(x.path, root) : '';
  return { reason: 'io-error', op: x.syscall, path, code: x.code };
}

function displayPath(p: string, root: string): string {
  if (!isAbsolute(p)) return p;
  const r = relative(root, p);
  return r.startsWith('..') || isAbsolute(r) ? p : r;
}
