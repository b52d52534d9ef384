// Helpers for tests that run real daemons: a client environment that may start one (the
// rig's CI=1 forbids it), polling with deadlines instead of sleeps, and cleanup that stops
// every daemon a test started.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CLI, Project, type CliResult } from '../rig.js';
import { isAlive } from '../../src/daemon/paths.js';

/** Env for clients allowed to start a daemon; daemons exit on their own after a minute idle. */
export function daemonEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { CI: '', PIPE_DAEMON_IDLE_MS: '60000', ...extra };
}

export function dcli(p: Project, args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return p.cli(args, daemonEnv(extra));
}

export interface DaemonInfo {
  pid: number;
  socket: string;
  version: string;
}

export function daemonRecord(p: Project): DaemonInfo | undefined {
  try {
    return JSON.parse(readFileSync(p.path('.pipe/daemon.json'), 'utf8')) as DaemonInfo;
  } catch {
    return undefined;
  }
}

/** Whether a process runs (a zombie, exited but not yet reaped, counts as gone). */
export function alive(pid: number): boolean {
  return pid > 0 && isAlive(pid);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(what: string | (() => string), check: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Stops the project's daemon (if any) and removes the project. */
export async function disposeWithDaemon(p: Project | undefined): Promise<void> {
  if (p === undefined) return;
  const rec = daemonRecord(p);
  if (existsSync(p.path('.pipe'))) await p.cli(['stop'], daemonEnv());
  if (rec !== undefined && alive(rec.pid)) process.kill(rec.pid, 'SIGKILL');
  p.dispose();
}

/** Build output with durations masked, for comparing runs. */
export function normalize(text: string): string[] {
  return text
    .replace(/\(\d+(\.\d+)?m?s\)/g, '(T)')
    .replace(/ \d+(\.\d+)?m?s$/gm, ' T')
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

/** A long-running CLI process (pipe watch) whose output is collected line by line. */
export class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(p: Project, args: string[], extra: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: p.root, env: p.env(daemonEnv(extra)), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (c: string) => (this.stdout += c));
    this.child.stderr?.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  get lines(): string[] {
    return this.stdout.split('\n').filter((l) => l !== '');
  }

  /** Lines that report a rebuild ("[hh:mm:ss] ..."). */
  get rebuilds(): string[] {
    return this.lines.filter((l) => /^\[\d\d:\d\d:\d\d\] /.test(l));
  }

  async waitForRebuilds(n: number, ms = 15_000): Promise<string[]> {
    return waitFor(() => `${n} rebuild line(s); got:\n${this.stdout}${this.stderr}`, () => this.rebuilds.length >= n && this.rebuilds, ms);
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }
}
