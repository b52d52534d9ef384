// `pipe tools`: the warm instances of every `pipe run` server (and the daemon's, when one
// is listed in .pipe/daemon.json), with stale servers cleaned up on the way.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, RunProject, until } from './rig.js';
import type { ToolsListing } from '../../src/run/list-tools.js';

let p: RunProject;
beforeEach(() => {
  p = new RunProject();
});
afterEach(async () => {
  await p.dispose();
});

const W = ['-w', '120'];

async function listing(): Promise<ToolsListing> {
  const r = await p.cli(['tools', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.toString()) as ToolsListing;
}

describe('pipe tools', () => {
  it('lists a pipe run instance with its pid, identity, state and records served', async () => {
    expect((await p.cli(['tools'])).stdout.toString()).toContain('no warm tool instances running');
    await p.run([...W, '--', './upper_lines.py'], 'a\nb\nc\n');
    await p.run([...W, '--', './upper_lines.py'], 'd\n');
    const toolPid = Number(p.starts()[0]?.split(' ')[1]);
    const [server] = p.servers();

    const l = await listing();
    expect(l.instances).toHaveLength(1);
    const inst = l.instances[0];
    expect(inst).toMatchObject({ tool: 'upper_lines.py', pid: toolPid, state: 'idle', records: 4, source: 'run', serverPid: server?.pid, identity: server?.key });
    expect(inst?.rssBytes).toBeGreaterThan(0);
    expect(inst?.uptimeMs).toBeGreaterThanOrEqual(0);

    const human = (await p.cli(['tools'])).stdout.toString();
    expect(human).toMatch(/TOOL\s+PID\s+IDENTITY\s+STATE\s+RECORDS\s+UPTIME\s+RSS/);
    expect(human).toMatch(new RegExp(`upper_lines\\.py\\s+${toolPid}\\s+${server?.key.slice(0, 12)}\\s+idle\\s+4\\s+`));
  });

  it('removes the socket and record of a server that died', async () => {
    await p.run([...W, '--', './upper_lines.py'], 'a\n');
    const [server] = p.servers();
    expect(server).toBeDefined();
    process.kill(server?.pid ?? 0, 'SIGKILL');
    expect(await until(() => !alive(server?.pid ?? 0))).toBe(true);
    expect(existsSync(server?.socket ?? '')).toBe(true);

    const l = await listing();
    expect(l.instances).toHaveLength(0);
    expect(existsSync(server?.socket ?? '')).toBe(false);
    expect(p.servers()).toHaveLength(0);
    // The next call starts afresh.
    const r = await p.run([...W, '--', './upper_lines.py'], 'b\n');
    expect(r.stdout.toString()).toBe('B\n');
  });

  it('includes the daemon listed in .pipe/daemon.json, and skips it silently when it is gone', async () => {
    const socket = join(p.root, '.pipe', 'd.sock');
    const instance = { tool: 'parse', pid: 4242, identity: 'abcdefabcdefabcdef', state: 'busy', records: 7, documents: 1, startedAt: Date.now() - 5000, rssBytes: 1 << 20 };
    // A stand-in daemon speaking its line protocol: hello -> welcome, tools -> the instances.
    let supportsTools = true;
    const daemon: Server = createServer((c) => {
      let buffer = '';
      c.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
          const m = JSON.parse(buffer.slice(0, nl)) as { type: string };
          buffer = buffer.slice(nl + 1);
          if (m.type === 'hello') c.write(`${JSON.stringify({ type: 'welcome', ok: true, version: '0.1.0', protocol: 1, pid: process.pid, config: null })}\n`);
          else if (m.type === 'tools' && supportsTools) c.end(`${JSON.stringify({ type: 'tools', instances: [instance] })}\n${JSON.stringify({ type: 'exit', code: 0 })}\n`);
          else c.end(`${JSON.stringify({ type: 'exit', code: 2 })}\n`);
        }
      });
    });
    p.write('.pipe/.keep', ''); // .pipe/ exists before the daemon binds in it
    await new Promise<void>((r) => daemon.listen(socket, r));
    writeFileSync(join(p.root, '.pipe', 'daemon.json'), JSON.stringify({ pid: process.pid, socket, version: '0.1.0', protocol: 1, root: p.root, config: null }));
    try {
      const l = await listing();
      expect(l.instances).toEqual([expect.objectContaining({ tool: 'parse', pid: 4242, records: 7, source: 'daemon' })]);
      expect((await p.cli(['tools'])).stdout.toString()).toMatch(/parse\s+4242\s+abcdefabcdef\s+busy\s+7\s+.*daemon/);
      // A daemon without the request answers `exit`: skipped at once, silently.
      supportsTools = false;
      const started = Date.now();
      const r = await p.cli(['tools']);
      expect(r.stdout.toString()).toContain('no warm tool instances running');
      expect(r.stderr).toBe('');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await new Promise<void>((r) => daemon.close(() => r()));
    }
    rmSync(socket, { force: true });
    const r = await p.cli(['tools']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
