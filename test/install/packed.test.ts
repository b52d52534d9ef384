// docpipe used from another project: `npm pack` (prepack compiles dist/) gives a tarball that
// installs without devDependencies, with a `docpipe` bin that builds the README's example.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../rig.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      res({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

/** The code blocks of one README section, by language. */
function readmeBlocks(heading: string, lang: string): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README section "${heading}"`).toBeGreaterThan(-1);
  const rest = readme.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const body = end === -1 ? rest : rest.slice(0, end);
  return [...body.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
}

const tmp = mkdtempSync(join(tmpdir(), 'docpipe-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Outside the repo: no PATH entry of the clone, no daemon left behind (CI: never start one).
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
  e['PATH'] = (process.env['PATH'] ?? '').split(':').filter((d) => !d.startsWith(REPO)).join(':');
  for (const k of Object.keys(e)) if (k.startsWith('npm_') || k === 'INIT_CWD') delete e[k];
  return e;
};

describe('the packed tarball', () => {
  it('installs into another project and builds the README example with the docpipe bin', async () => {
    // Pack a copy of the sources (prepack rebuilds dist/ from scratch; the repo's own dist/,
    // which other tests run, is left alone). The dev tools come from the repo's node_modules.
    const clone = join(tmp, 'clone');
    mkdirSync(clone);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'scripts']) cpSync(join(REPO, f), join(clone, f), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(clone, 'node_modules'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], clone, env());
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const files = info.files.map((f) => f.path);
    expect(files).toContain('dist/cli/pipe.cjs');
    expect(files).toContain('dist/run/client.cjs');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);

    const proj = join(tmp, 'proj');
    mkdirSync(join(proj, 'notes'), { recursive: true });
    const [config] = readmeBlocks('Use it in your project', 'ts');
    expect(config).toContain("from 'docpipe'");
    writeFileSync(join(proj, 'pipeline.config.ts'), config ?? '');
    writeFileSync(join(proj, 'notes', 'a.txt'), 'hello world\n');
    writeFileSync(join(proj, 'notes', 'b.txt'), 'docpipe builds documents\n');

    const installed = await run('npm', ['install', '--prefix', proj, '--no-audit', '--no-fund', '--prefer-offline', join(tmp, info.filename)], tmp, env());
    expect(installed.code, installed.stderr).toBe(0);
    expect(existsSync(join(proj, 'node_modules', 'docpipe', 'src'))).toBe(false);
    expect(existsSync(join(proj, 'node_modules', 'typescript'))).toBe(false);

    const docpipe = join(proj, 'node_modules', '.bin', 'docpipe');
    const first = await run(docpipe, ['build'], proj, env());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('3 built');
    expect(readFileSync(join(proj, 'out', 'a.upper'), 'utf8')).toBe('HELLO WORLD\n');
    expect(readFileSync(join(proj, 'out', 'words.count'), 'utf8').trim()).toBe('5');

    // `pipe` is the same command; a second build runs nothing.
    const again = await run(join(proj, 'node_modules', '.bin', 'pipe'), ['build'], proj, env());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/pipe: 3 up to date/);
  }, 300_000);

  it('prepare keeps a built dist/ when TypeScript is missing, and names the way out when nothing is built', async () => {
    // A clone installed without devDependencies: prepare must not fail on `tsc: not found`.
    const bare = join(tmp, 'bare');
    mkdirSync(join(bare, 'dist', 'cli'), { recursive: true });
    cpSync(join(REPO, 'scripts'), join(bare, 'scripts'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(bare, 'package.json'));
    writeFileSync(join(bare, 'dist', 'cli', 'pipe.cjs'), '');
    const built = await run('npm', ['run', 'prepare'], bare, env());
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toContain('using the dist/ already built');

    rmSync(join(bare, 'dist'), { recursive: true });
    const unbuilt = await run('npm', ['run', 'prepare'], bare, env());
    expect(unbuilt.code).not.toBe(0);
    expect(unbuilt.stderr).toContain('run `npm ci` first');
    expect(unbuilt.stderr).not.toContain('tsc: not found');
  });
});
