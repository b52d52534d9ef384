// CLI habits: `-C DIR` before the subcommand (make, git), a missing -C directory named as
// such, a source directory that does not exist named with the one probably meant, no daemon
// started where there is no config, and `pipe clean --orphans` removing only orphans.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, pmbConfig, Project, type CliResult } from '../rig.js';
import { daemonEnv, disposeWithDaemon } from '../daemon/daemon-rig.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

function project(files: Record<string, string> = {}): Project {
  const p = new Project({ 'pipeline.config.ts': pmbConfig(), 'models/parse.model': 'v1\n', 'data/a.txt': 'x y\n', 'data/b.txt': 'z\n', ...files });
  projects.push(p);
  return p;
}

function cliIn(cwd: string, p: Project, args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: p.env(extra) }, (error, stdout, stderr) => {
      res({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('-C before the subcommand', () => {
  it.each([[['-C', 'NAME']], [['-CNAME']], [['--directory', 'NAME']], [['--directory=NAME']]])('%j build runs in that directory', async (form) => {
    const p = project();
    const args = form.map((a) => a.replace('NAME', basename(p.root)));
    const r = await cliIn(dirname(p.root), p, [...args, 'build']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pipe: 5 built');
    expect(p.read('out/a.tok')).not.toBe('');
  });

  it('targets after it are relative to that directory, and -C repeats like git', async () => {
    const p = project();
    mkdirSync(p.path('sub'));
    const r = await cliIn(dirname(p.root), p, ['-C', basename(p.root), '-C', 'sub', '-C', '..', 'build', 'out/b.tok']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.exists('out/b.tok')).toBe(true);
    expect(p.exists('out/a.tok')).toBe(false);
  });

  it('a missing directory is named as such, before or after the subcommand', async () => {
    const p = project();
    const before = await cliIn(p.root, p, ['-C', '/nonexistent/docpipe', 'build']);
    expect(before.code).toBe(2);
    expect(before.stderr).toBe('pipe: -C: no such directory: /nonexistent/docpipe\n');
    const after = await cliIn(p.root, p, ['status', '-C', '/nonexistent/docpipe']);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('no such directory: /nonexistent/docpipe');
    expect(after.stderr).not.toContain('no pipeline config');
    const file = await cliIn(p.root, p, ['-C', 'data/a.txt', 'build']);
    expect(file.stderr).toBe('pipe: -C: not a directory: data/a.txt\n');
    const bare = await cliIn(p.root, p, ['-C']);
    expect(bare.stderr).toBe('pipe: -C needs a directory\n');
  });
});

describe('a source directory that does not exist', () => {
  const typo = (dir: string): string => pmbConfig().replace("'data/{doc}.txt'", `'${dir}/{doc}.txt'`);

  it('fails the build, naming the directory and the existing one it probably meant', async () => {
    const p = project({ 'pipeline.config.ts': typo('dat') });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pipe: nothing to build: no file matches any rule input (dat/{doc}.txt, out/{doc}.tok, out/*.parse)\n');
    expect(r.stderr).toContain('pipe: dat/ does not exist (rule tokenize, input dat/{doc}.txt); the closest existing directory is data/\n');
  });

  it('names the deepest existing ancestor when no sibling is alike', async () => {
    const p = project({ 'pipeline.config.ts': typo('corpus/raw/texts'), 'corpus/other/x': '' });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pipe: corpus/raw/texts/ does not exist (rule tokenize, input corpus/raw/texts/{doc}.txt); the closest existing directory is corpus/\n');
  });

  it('an existing but empty source directory is still just "nothing to build"', async () => {
    const p = project({ 'data/a.txt': '', 'data/b.txt': '' });
    p.remove('data/a.txt');
    p.remove('data/b.txt');
    const r = await p.cli(['build']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'pipe: nothing to build: no file matches any rule input (data/{doc}.txt, out/{doc}.tok, out/*.parse)\n' });
  });
});

describe('no config', () => {
  it('is reported without starting a daemon in that directory', async () => {
    const p = new Project({ 'notes.txt': 'not a project\n' });
    projects.push(p);
    for (const cmd of [['build'], ['status'], ['watch']]) {
      const r = await p.cli(cmd, daemonEnv());
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stderr).toContain('pipe: no pipeline config found; looked for:');
      expect(existsSync(p.path('.pipe')), `${cmd.join(' ')} left .pipe/ behind`).toBe(false);
    }
  });
});

describe('pipe clean --orphans', () => {
  it('removes only the outputs whose source is gone; the rest stay built and fresh', async () => {
    const p = project();
    expect((await p.cli(['build'])).code).toBe(0);
    p.remove('data/b.txt');
    const status = await p.cli(['status']);
    expect(status.stdout).toContain('orphaned output(s) whose source is gone (pipe clean --orphans removes them): out/b.parse, out/b.tok');
    p.takeRuns();
    const r = await p.cli(['clean', '--orphans']);
    expect(r).toEqual({ code: 0, stdout: 'pipe: removed 2 orphaned output(s): out/b.parse, out/b.tok\n', stderr: '' });
    expect(p.exists('out/b.tok') || p.exists('out/b.parse')).toBe(false);
    expect(p.exists('out/a.tok') && p.exists('out/a.parse') && p.exists('out/corpus.stats')).toBe(true);
    expect((await p.cli(['status'])).stdout).not.toContain('orphaned');
    // corpus.stats gathered b.parse too: only it is rebuilt, a's chain is untouched.
    const again = await p.cli(['build']);
    expect(again.code, again.stderr).toBe(0);
    expect(p.takeRuns().map((l) => l.split(' ')[0])).toEqual(['stats']);
  });

  it('with targets, only orphans under them', async () => {
    const p = project({ 'pipeline.config.ts': pmbConfig({ extra: "\n    { name: 'copy', input: 'data/{doc}.txt', output: 'copy/{doc}.txt', command: ['cat'] }," }) });
    expect((await p.cli(['build'])).code).toBe(0);
    p.remove('data/b.txt');
    const r = await p.cli(['clean', '--orphans', 'copy']);
    expect(r.stdout).toBe('pipe: removed 1 orphaned output(s): copy/b.txt\n');
    expect(p.exists('copy/b.txt')).toBe(false);
    expect(p.exists('out/b.tok')).toBe(true);
  });
});
