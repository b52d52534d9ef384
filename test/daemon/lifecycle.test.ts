// The daemon's life: started by the first client, same output and exit code as without it,
// `pipe stop` (warm tools too), a SIGKILLed daemon's stale socket, another version's
// daemon replaced, idle exit, and config reloads.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pmbConfig, Project, REPO } from '../rig.js';
import { alive, daemonRecord, dcli, disposeWithDaemon, normalize, waitFor } from './daemon-rig.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

function project(extra: Record<string, string> = {}): Project {
  const p = new Project({
    'pipeline.config.ts': pmbConfig(),
    'models/parse.model': 'v1\n',
    'data/x.txt': 'The  cat sat .\n',
    'data/y.txt': 'A dog barked .\n',
    ...extra,
  });
  projects.push(p);
  return p;
}

describe('daemon lifecycle', () => {
  it('starts on the first build and answers with the same output and exit code as --no-daemon', async () => {
    const a = project();
    const b = project();
    const viaDaemon = await dcli(a, ['build', '-j', '1']);
    const inProcess = await dcli(b, ['build', '-j', '1', '--no-daemon']);
    expect(viaDaemon.code, viaDaemon.stderr).toBe(0);
    expect(inProcess.code, inProcess.stderr).toBe(0);
    expect(normalize(viaDaemon.stdout)).toEqual(normalize(inProcess.stdout));
    expect(a.read('out/x.parse')).toBe(b.read('out/x.parse'));
    const rec = daemonRecord(a);
    expect(rec).toBeDefined();
    expect(alive(rec?.pid ?? -1)).toBe(true);
    expect(daemonRecord(b)).toBeUndefined();
    expect(statSync(a.path('.pipe/daemon.sock')).mode & 0o777).toBe(0o600);
    expect(a.takeRuns()).toHaveLength(5);

    // A no-op, a failing build and a bad target: same text, same exit codes.
    for (const p of [a, b]) p.write('pipeline.config.ts', pmbConfig({ extra: "\n    { name: 'broken', input: 'data/{doc}.txt', output: 'out/{doc}.broken', command: ['fail'] }," }));
    const failA = await dcli(a, ['build', '-j', '1']);
    const failB = await dcli(b, ['build', '-j', '1', '--no-daemon']);
    expect(failA.code).toBe(1);
    expect(failB.code).toBe(1);
    expect(normalize(failA.stderr)).toEqual(normalize(failB.stderr));
    expect(failA.stderr).toContain('FAILED broken');
    const unknownA = await dcli(a, ['build', 'out/nope.tok']);
    const unknownB = await dcli(b, ['build', 'out/nope.tok', '--no-daemon']);
    expect(unknownA.code).toBe(unknownB.code);
    expect(unknownA.stderr).toBe(unknownB.stderr);
    expect(daemonRecord(a)?.pid).toBe(rec?.pid);

    // why and status through the daemon print what they print without it.
    for (const args of [['why', 'out/x.parse'], ['status'], ['status', '--json']]) {
      const d = await dcli(a, args);
      const n = await dcli(b, [...args, '--no-daemon']);
      expect(d.code, d.stderr).toBe(n.code);
      expect(d.stdout.replace(/built \S+\)/, 'built T)')).toBe(n.stdout.replace(/built \S+\)/, 'built T)'));
    }
  });

  it('pipe stop ends the daemon and its warm tools and removes its socket and record', async () => {
    const warmTool = join(REPO, 'test', 'fixtures', 'warm', 'upper_lines.py');
    const p = project({
      'pipeline.config.ts': `export default {
  tools: { up: { command: [${JSON.stringify(warmTool)}], warm: true, instances: 1 } },
  rules: [{ name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' }],
};
`,
    });
    const r = await dcli(p, ['build'], { START_LOG: p.path('starts.log') });
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('out/x.up')).toBe('THE  CAT SAT .\n');
    const rec = daemonRecord(p);
    const warmPid = Number(p.read('starts.log').trim().split(' ')[1]);
    expect(alive(warmPid)).toBe(true);
    // The warm instance persists across builds: a second build starts nothing.
    p.write('data/z.txt', 'new\n');
    expect((await dcli(p, ['build'], { START_LOG: p.path('starts.log') })).code).toBe(0);
    expect(p.read('starts.log').trim().split('\n')).toHaveLength(1);

    const stop = await dcli(p, ['stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`stopped the daemon (pid ${rec?.pid})`);
    expect(alive(rec?.pid ?? -1)).toBe(false);
    await waitFor('the warm tool to exit', () => !alive(warmPid), 5000);
    expect(existsSync(p.path('.pipe/daemon.sock'))).toBe(false);
    expect(daemonRecord(p)).toBeUndefined();
    expect((await dcli(p, ['stop'])).stdout).toContain('no daemon running');
  });

  it('a daemon killed with SIGKILL leaves nothing that blocks the next start', async () => {
    const p = project();
    expect((await dcli(p, ['build'])).code).toBe(0);
    const first = daemonRecord(p);
    process.kill(first?.pid ?? -1, 'SIGKILL');
    await waitFor('the daemon to die', () => !alive(first?.pid ?? -1));
    expect(existsSync(p.path('.pipe/daemon.sock'))).toBe(true); // stale: nobody listens
    p.write('data/x.txt', 'The cat ran .\n');
    const r = await dcli(p, ['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(p.read('out/x.parse')).toBe('v1|4|The cat ran .\n');
    const second = daemonRecord(p);
    expect(second?.pid).not.toBe(first?.pid);
    expect(alive(second?.pid ?? -1)).toBe(true);
  });

  it('a client meeting a daemon of another version stops it and starts its own', async () => {
    const p = project();
    // A stand-in for an older daemon: answers hello as version 0.0.1, exits when told to stop.
    const fake = spawn(
      process.execPath,
      [
        '-e',
        `const net = require('node:net'); const fs = require('node:fs');
         fs.mkdirSync('.pipe', { recursive: true });
         const srv = net.createServer((s) => {
           let buf = '';
           s.on('data', (d) => {
             buf += d;
             for (const line of buf.split('\\n').slice(0, -1)) {
               const m = JSON.parse(line);
               if (m.type === 'hello') s.write(JSON.stringify({ type: 'welcome', ok: false, version: '0.0.1', protocol: 0, pid: process.pid, config: null }) + '\\n');
               if (m.type === 'stop') { fs.writeFileSync('stopped-by-client', 'yes'); s.end(); srv.close(); process.exit(0); }
             }
             buf = buf.slice(buf.lastIndexOf('\\n') + 1);
           });
         });
         srv.listen('.pipe/daemon.sock', () => console.log('listening'));`,
      ],
      { cwd: p.root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((r) => fake.stdout?.once('data', () => r()));
    const r = await dcli(p, ['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('stopped-by-client')).toBe('yes');
    expect(p.exists('out/x.parse')).toBe(true);
    const rec = daemonRecord(p);
    expect(rec?.version).toBe((await import('../../src/version.js')).VERSION);
    expect(rec?.pid).not.toBe(fake.pid);
  });

  it('a root too long for a unix socket path gets a socket in the temp directory, recorded in daemon.json', async () => {
    const deep = `${'a-directory-with-a-rather-long-name/'.repeat(3)}project`;
    const p = project();
    for (const f of ['pipeline.config.ts', 'models/parse.model', 'data/x.txt']) p.write(`${deep}/${f}`, p.read(f));
    const r = await dcli(p, ['build', '-C', deep]);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(p.read(`${deep}/.pipe/daemon.json`)) as { socket: string; pid: number };
    expect(rec.socket.startsWith(tmpdir())).toBe(true);
    expect(Buffer.byteLength(rec.socket)).toBeLessThanOrEqual(100);
    expect((await dcli(p, ['build', '-C', deep])).stdout).toContain('up to date');
    expect((await dcli(p, ['stop', '-C', deep])).code).toBe(0);
    expect(alive(rec.pid)).toBe(false);
    expect(existsSync(rec.socket)).toBe(false);
  });

  it('exits after idleMs without clients, removing only its own record', async () => {
    const p = project();
    expect((await dcli(p, ['build'], { PIPE_DAEMON_IDLE_MS: '300' })).code).toBe(0);
    const rec = daemonRecord(p);
    await waitFor('the idle daemon to exit', () => !alive(rec?.pid ?? -1), 10_000);
    expect(daemonRecord(p)).toBeUndefined();
    expect(existsSync(p.path('.pipe/daemon.sock'))).toBe(false);
  });

  it('reloads the pipeline when the config changes, and reports a broken config like the CLI does', async () => {
    const p = project();
    expect((await dcli(p, ['build'])).code).toBe(0);
    p.takeRuns();
    const pid = daemonRecord(p)?.pid;
    p.write('pipeline.config.ts', pmbConfig({ tokArgs: ['-m', 'models/parse.model'] }));
    const r = await dcli(p, ['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.takeRuns().filter((l) => l.startsWith('tok'))).toEqual(['tok -m models/parse.model', 'tok -m models/parse.model']);
    expect(p.read('out/x.tok')).toBe('v1The cat sat .\n');
    p.write('pipeline.config.ts', 'export default { rules: [ { name: 1 } ] };\n');
    const bad = await dcli(p, ['build']);
    const badInProcess = await p.cli(['build', '--no-daemon'], { CI: '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid config');
    expect(badInProcess.code).toBe(2);
    // --no-daemon stopped the daemon to take the state store; the next client starts a new one.
    expect(alive(pid ?? -1)).toBe(false);
    p.write('pipeline.config.ts', pmbConfig());
    expect((await dcli(p, ['build'])).code).toBe(0);
    expect(daemonRecord(p)?.pid).not.toBe(pid);
  });
});
