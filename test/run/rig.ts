// Test rig for `pipe run`/`pipe tools`: a temp project holding copies of the warm fixture
// tools (so tests may edit them), the real CLI as a child process, and clean-up of every
// server the test started (by pid, from the records under .pipe/run/).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI } from '../rig.js';
import { FIXTURES, until as pollUntil } from '../fixtures/warm/rig.js';
import type { ServerRecord } from '../../src/run/protocol.js';
import { isAlive } from '../../src/daemon/paths.js';
import { readRecords } from '../../src/run/registry.js';

export { CLI };

export interface Call {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export class RunProject {
  readonly root: string;
  readonly startLog: string;
  readonly #serverPids = new Set<number>();

  constructor(root?: string) {
    this.root = root ?? realpathSync(mkdtempSync(join(tmpdir(), 'docpipe-run-')));
    mkdirSync(this.root, { recursive: true });
    this.startLog = join(this.root, 'starts.log');
    for (const f of readdirSync(FIXTURES)) if (f.endsWith('.py') || f.endsWith('.sh')) copyFileSync(join(FIXTURES, f), join(this.root, f));
  }

  path(p: string): string {
    return join(this.root, p);
  }

  write(p: string, content: string): void {
    mkdirSync(dirname(this.path(p)), { recursive: true });
    writeFileSync(this.path(p), content);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, START_LOG: this.startLog, PYTHONDONTWRITEBYTECODE: '1', ...extra };
  }

  /** `pipe <args>` in the project with `input` on stdin. */
  cli(args: string[], input: string | Buffer = '', extraEnv: Record<string, string> = {}): Promise<Call> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: this.root, env: this.env(extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.stdin.on('error', () => {});
      child.stdin.end(input);
      child.on('close', (code) => {
        for (const r of this.servers()) this.#serverPids.add(r.pid);
        resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  }

  /** `pipe run <args>`. */
  run(args: string[], input: string | Buffer = '', extraEnv: Record<string, string> = {}): Promise<Call> {
    return this.cli(['run', ...args], input, extraEnv);
  }

  /** The tool run the ordinary way on the whole input. */
  cold(argv: string[], input: string | Buffer, extraEnv: Record<string, string> = {}): Buffer {
    const r = spawnSync(argv[0] as string, argv.slice(1), { cwd: this.root, input, env: this.env({ START_LOG: '', ...extraEnv }), maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`cold run failed: ${r.status} ${String(r.stderr)}`);
    return r.stdout;
  }

  /** Records of the servers alive now. */
  servers(): ServerRecord[] {
    return readRecords(this.path('.pipe/run'));
  }

  /** Lines of the start log: one per tool instance started ("<tool> <pid>"). */
  starts(): string[] {
    try {
      return readFileSync(this.startLog, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Stops the servers this project started (SIGTERM, then SIGKILL) and removes the project. */
  async dispose(): Promise<void> {
    for (const r of this.servers()) this.#serverPids.add(r.pid);
    for (const pid of this.#serverPids) signal(pid, 'SIGTERM');
    await until(() => [...this.#serverPids].every((pid) => !alive(pid)), 5000);
    for (const pid of this.#serverPids) signal(pid, 'SIGKILL');
    // The tools the servers ran (their pool stops them on SIGTERM; this catches stragglers).
    for (const line of this.starts()) signal(Number(line.split(' ')[1]), 'SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** Whether a process runs (a zombie, exited but not yet reaped, counts as gone). */
export function alive(pid: number): boolean {
  return pid > 0 && isAlive(pid);
}

/** Polls until `check` holds or `ms` pass (generous default deadline: two loaded cores). */
export const until = (check: () => boolean, ms = 15_000): Promise<boolean> => pollUntil(check, ms);
