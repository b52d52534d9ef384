// Clients of one daemon: two at once (no lock error, no stage run twice), Ctrl-C cancels
// only that client's build, a daemon killed mid-build, and a client path that loads none
// of the engine.
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, pmbConfig, Project, type CliResult } from '../rig.js';
import { alive, daemonEnv, daemonRecord, dcli, disposeWithDaemon, waitFor } from './daemon-rig.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

function project(docs = 2, extra: Record<string, string> = {}): Project {
  const files: Record<string, string> = { 'pipeline.config.ts': pmbConfig(), 'models/parse.model': 'v1\n', ...extra };
  for (let i = 0; i < docs; i++) files[`data/d${i}.txt`] = `Document number ${i} .\n`;
  const p = new Project(files);
  projects.push(p);
  return p;
}

const slowConfig = `export default {
  rules: [{ name: 'slow', input: 'data/{doc}.txt', output: 'out/{doc}.slow', command: ['slow'] }],
};
`;

describe('daemon clients', () => {
  it('two clients at once: both succeed, no lock error, every stage runs once', async () => {
    const p = project(6);
    const [a, b] = await Promise.all([dcli(p, ['build']), dcli(p, ['build'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stderr + b.stderr).not.toMatch(/lock|held by another/);
    const runs = p.takeRuns();
    expect(runs.filter((r) => r.startsWith('tok'))).toHaveLength(6);
    expect(runs.filter((r) => r.startsWith('parse'))).toHaveLength(6);
    expect(runs.filter((r) => r.startsWith('stats'))).toHaveLength(1);
    // Exactly one daemon served them.
    expect(alive(daemonRecord(p)?.pid ?? -1)).toBe(true);
    // And with a daemon already up, concurrent clients again run nothing twice.
    p.write('data/d1.txt', 'Changed .\n');
    const again = await Promise.all([dcli(p, ['build']), dcli(p, ['build', 'out/d1.parse']), dcli(p, ['status'])]);
    for (const r of again) expect(r.code, r.stderr).toBe(0);
    const second = p.takeRuns();
    expect(second.filter((r) => r.startsWith('tok'))).toHaveLength(1);
    expect(second.filter((r) => r.startsWith('parse'))).toHaveLength(1);
  });

  it("Ctrl-C in the client cancels that build in the daemon (exit 130); the daemon keeps serving", async () => {
    const p = project(1, { 'pipeline.config.ts': slowConfig });
    expect((await dcli(p, ['status'])).code).toBe(0); // starts the daemon
    // The tool sleeps 300 s: far past the bound below, so "promptly" needs no clock reading.
    const child = spawn(process.execPath, [CLI, 'build'], { cwd: p.root, env: p.env(daemonEnv({ SLOW_SECONDS: '300' })), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    let code: number | null | undefined;
    child.on('exit', (c) => (code = c));
    await waitFor('the slow tool to start', () => p.exists('tool.log') && p.read('tool.log').includes('slow'));
    child.kill('SIGINT');
    await waitFor('the interrupted client to exit', () => code !== undefined, 30_000);
    expect(code).toBe(130);
    expect(p.exists('out/d0.slow')).toBe(false);
    const rec = daemonRecord(p);
    expect(alive(rec?.pid ?? -1)).toBe(true);
    const r = await dcli(p, ['build'], { SLOW_SECONDS: '0' });
    expect(r.code, r.stderr + stderr).toBe(0);
    expect(p.read('out/d0.slow')).toBe('first half\nDocument number 0 .\n');
  });

  it('a daemon killed mid-build: the client says so and fails; the next build completes', async () => {
    const p = project(1, { 'pipeline.config.ts': slowConfig });
    const build = dcli(p, ['build'], { SLOW_SECONDS: '30' });
    await waitFor('the slow tool to start', () => p.exists('tool.log') && p.read('tool.log').includes('slow'));
    const pid = daemonRecord(p)?.pid ?? -1;
    process.kill(pid, 'SIGKILL');
    const r = await build;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lost the connection to the daemon');
    const next = await dcli(p, ['build'], { SLOW_SECONDS: '0' });
    expect(next.code, next.stderr).toBe(0);
    expect(p.read('out/d0.slow')).toBe('first half\nDocument number 0 .\n');
    expect(daemonRecord(p)?.pid).not.toBe(pid);
  });

  it('CI=1 never starts a daemon but uses a running one; PIPE_NO_DAEMON=1 stops it and builds in-process', async () => {
    const p = project(1);
    const ci = await p.cli(['build']); // the rig sets CI=1
    expect(ci.code, ci.stderr).toBe(0);
    expect(daemonRecord(p)).toBeUndefined();
    expect((await dcli(p, ['status'])).code).toBe(0);
    const pid = daemonRecord(p)?.pid ?? -1;
    p.write('data/d0.txt', 'Changed .\n');
    expect((await p.cli(['build'])).code).toBe(0);
    expect(daemonRecord(p)?.pid).toBe(pid);
    p.write('data/d0.txt', 'Changed again .\n');
    const off = await dcli(p, ['build'], { PIPE_NO_DAEMON: '1' });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toContain(`stopped the project's daemon (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    expect(p.read('out/d0.parse')).toBe('v1|3|Changed again .\n');
  });

  it('a daemon that finds the store held by an in-process build exits at once; the client runs in-process', async () => {
    const p = project(1, { 'pipeline.config.ts': slowConfig });
    // An in-process build (CI=1 from the rig) holds the state store for a few seconds.
    const holder = p.cli(['build'], { SLOW_SECONDS: '6' });
    await waitFor('the slow tool to start', () => p.exists('tool.log') && p.read('tool.log').includes('slow'));
    const r = await dcli(p, ['status']);
    expect(r.stderr).toContain('another pipe process has the state store; building in this process once it is free');
    expect(p.read('.pipe/daemon.log')).toMatch(/not started: the state store is held by another pipe process; not waiting for it/);
    expect(r.code, r.stderr).toBe(0); // in-process, once the store was free
    expect(r.stdout).toContain('rule  fresh');
    expect((await holder).code).toBe(0);
    expect(daemonRecord(p)).toBeUndefined();
  });

  it('the client path of `pipe build` loads no engine, level, jiti, fast-glob or execa', async () => {
    const p = project(2);
    expect((await dcli(p, ['build'])).code).toBe(0);
    const hook = join(tmpdir(), `docpipe-load-hook-${process.pid}.mjs`);
    writeFileSync(
      hook,
      `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\\\n'); return r; }\`));
`,
    );
    for (const args of [['build'], ['build', '-j', '1', 'out/d0.parse'], ['status']]) {
      const r = await new Promise<CliResult>((res) =>
        execFile(process.execPath, ['--import', hook, CLI, ...args], { cwd: p.root, env: p.env(daemonEnv()) }, (e, stdout, stderr) => res({ code: e === null ? 0 : Number(e.code), stdout, stderr })),
      );
      expect(r.code, r.stderr).toBe(0);
      const loaded = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
      expect(loaded.some((u) => u.includes('/daemon/client.js'))).toBe(true);
      expect(loaded.filter((u) => /\/(engine|store|plan|hash|config|tools)\/|node_modules\/(level|classic-level|jiti|fast-glob|execa|chokidar)\//.test(u))).toEqual([]);
    }
  });
});
