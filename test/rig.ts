// Test rig: a temp project with real files, real fixture tools and the real CLI or engine.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { executeBuild } from '../src/commands/build.js';
import type { BuildEvent } from '../src/engine/events.js';
import type { BuildSummary } from '../src/engine/scheduler.js';
import { Session } from '../src/engine/session.js';
import { RACY_WINDOW_MS } from '../src/hash/file-stamp.js';
import { treeFiles } from '../src/util/tree-files.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(REPO, 'test', 'fixtures', 'bin');
export const CLI = join(REPO, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Project {
  readonly root: string;
  readonly log: string;

  constructor(files: Record<string, string> = {}) {
    this.root = mkdtempSync(join(tmpdir(), 'docpipe-test-'));
    this.log = join(this.root, 'tool.log');
    for (const [p, c] of Object.entries(files)) this.write(p, c);
  }

  path(p: string): string {
    return join(this.root, p);
  }

  write(p: string, content: string, mode?: number): void {
    mkdirSync(dirname(this.path(p)), { recursive: true });
    writeFileSync(this.path(p), content);
    if (mode !== undefined) chmodSync(this.path(p), mode);
  }

  read(p: string): string {
    return readFileSync(this.path(p), 'utf8');
  }

  exists(p: string): boolean {
    return existsSync(this.path(p));
  }

  remove(p: string): void {
    rmSync(this.path(p), { force: true, recursive: true });
  }

  /** Tool invocations logged by fixture tools since the last call, then cleared. */
  takeRuns(): string[] {
    if (!existsSync(this.log)) return [];
    const lines = readFileSync(this.log, 'utf8').split('\n').filter((l) => l !== '');
    rmSync(this.log);
    return lines;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, TOOL_LOG: this.log, PATH: `${FIXTURES}:${process.env['PATH'] ?? ''}`, CI: '1', ...extra };
  }

  cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((res) => {
      execFile(process.execPath, [CLI, ...args], { cwd: this.root, env: this.env(extraEnv), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        res({ code, stdout, stderr });
      });
    });
  }

  /** Runs a build in-process (real engine, real LevelDB, real tools) and returns its events. */
  async build(opts: { targets?: string[]; jobs?: number; keepGoing?: boolean; useCache?: boolean } = {}): Promise<{ summary: Omit<BuildSummary, 'outcomes'>; events: BuildEvent[]; code: number }> {
    const saved = { log: process.env['TOOL_LOG'], path: process.env['PATH'] };
    process.env['TOOL_LOG'] = this.log;
    process.env['PATH'] = `${FIXTURES}:${saved.path ?? ''}`;
    try {
      const s = await Session.open({ root: this.root });
      if (!s.ok) throw new Error(`session: ${JSON.stringify(s.error)}`);
      try {
        const p = await s.value.loadPipeline();
        if (!p.ok) throw new Error(`config: ${JSON.stringify(p.error)}`);
        const events: BuildEvent[] = [];
        const messages: string[] = [];
        // executeBuild, like the CLI: the clean-marker and incremental-cone paths included.
        const code = await executeBuild(
          s.value,
          { targets: opts.targets ?? [], jobs: opts.jobs ?? 2, keepGoing: opts.keepGoing ?? false, dryRun: false, cache: opts.useCache ?? true },
          { out: (t) => messages.push(t), err: (t) => messages.push(t) },
          (e) => events.push(e),
        );
        const done = events.find((e): e is Extract<BuildEvent, { type: 'done' }> => e.type === 'done');
        if (done === undefined) throw new Error(`build ended without a done event (exit ${code}): ${messages.join('')}`);
        const summary: Omit<BuildSummary, 'outcomes'> = { ok: done.ok, counts: done.counts, ms: done.ms, treeIdentity: false };
        return { summary, events, code };
      } finally {
        await s.value.close();
      }
    } finally {
      process.env['TOOL_LOG'] = saved.log;
      if (saved.log === undefined) delete process.env['TOOL_LOG'];
      process.env['PATH'] = saved.path;
    }
  }

  /**
   * Waits until the clock has passed the stat cache's racy window (RACY_WINDOW_MS, plus a
   * margin) after the last change to any project file: files
   * hashed later are trusted by their stats. The instant comes from the files' ctimes, not a
   * guessed sleep.
   */
  async pastRacyWindow(): Promise<void> {
    let newest = 0;
    for (const f of treeFiles(this.root)) newest = Math.max(newest, statSync(f.abs, { throwIfNoEntry: false })?.ctimeMs ?? 0);
    const wait = newest + RACY_WINDOW_MS + 5 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The two-stage pipeline of the issue, with a gather rule, using fixture tools. */
export function pmbConfig(opts: { tokArgs?: string[]; extra?: string } = {}): string {
  const tokArgs = JSON.stringify(['tok', ...(opts.tokArgs ?? [])]);
  return `export default {
  tools: {
    tok: { command: ${tokArgs} },
    parse: { command: ['parse', '-m', 'models/parse.model'] },
  },
  rules: [
    { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
    { name: 'parse', input: 'out/{doc}.tok', output: 'out/{doc}.parse', tool: 'parse' },
    { name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats'] },${opts.extra ?? ''}
  ],
};
`;
}
