// The cold path of `pipe run`: spawns a detached server for an identity (its stdout and
// stderr in its own log under .pipe/run/) and tells the polling client when it failed.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { RunArgs } from './args.js';
import type { RunIdentity } from './identity.js';
import { ensureDirs, serverLogPath } from './rendezvous.js';
import type { ServerConfig } from './server.js';

/** How long a starting server may take to answer (node start-up on a loaded machine). */
const SERVER_START_MS = 20_000;

export interface Started {
  /** Non-null once the server has failed to come up: the message to show. */
  problem(): string | null;
}

/** Spawns the server; a string is why it could not be spawned. */
export function startServer(id: RunIdentity, opts: RunArgs, cwd: string, dir: string, socket: string): Started | string {
  try {
    ensureDirs(dir, socket);
  } catch (e) {
    return `cannot create ${dir}: ${(e as Error).message}`;
  }
  const log = serverLogPath(dir, id.key);
  const config: ServerConfig = {
    key: id.key,
    slot: id.slot,
    descriptor: id.descriptor,
    argv: id.argv,
    cwd,
    dir,
    socket,
    log,
    input: opts.input ?? null,
    output: opts.output ?? null,
    prelude: opts.prelude,
    idleSeconds: opts.idleSeconds ?? null,
    timeoutMs: opts.timeoutMs ?? null,
    instances: opts.instances ?? null,
  };
  const deadline = Date.now() + SERVER_START_MS;
  let exit: number | null = null;
  const fd = openSync(log, 'a', 0o600);
  try {
    const main = decodeURIComponent(new URL('./server-main.js', import.meta.url).pathname);
    const child = spawn(process.execPath, [main, JSON.stringify(config)], { cwd, detached: true, stdio: ['ignore', fd, fd], env: process.env });
    child.on('error', () => (exit = -1));
    child.on('exit', (code, signal) => (exit = code ?? (signal !== null ? 128 : 1)));
    child.unref();
  } finally {
    closeSync(fd);
  }
  const what = `the server for '${opts.command[0] ?? ''}'`;
  return {
    problem: () => {
      // Exit 0: a twin server for the same key won the race to the socket; keep polling for it.
      if (exit !== null && exit !== 0) return `${what} failed to start (exit ${exit}):\n${tail(log)}`;
      if (Date.now() > deadline) return `${what} did not answer within ${SERVER_START_MS / 1000} s; see ${log}\n${tail(log)}`;
      return null;
    },
  };
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-15)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return '    (no log)';
  }
}
