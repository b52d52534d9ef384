// `pipe tools`: asks every `pipe run` server under `.pipe/run/` and the daemon (when
// `.pipe/daemon.json` names one) which warm instances they hold, and prints them.
// Servers that no longer exist are cleaned up on the way; a silent daemon is skipped.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from './frames.js';
import { runDir } from './rendezvous.js';
import type { InstanceReport, ServerRecord, ToolsResponse } from './protocol.js';
import { ask, readRecords, removeIfDead, socketAnswers } from './registry.js';

const ASK_MS = 3000;
const DAEMON_MS = 1500;

export interface ToolRow extends InstanceReport {
  /** Who holds the instance: a `pipe run` server (with its pid and key) or the daemon. */
  source: 'run' | 'daemon';
  serverPid: number | null;
  serverKey: string | null;
  uptimeMs: number;
}

export interface ToolsListing {
  instances: ToolRow[];
  /** `pipe run` servers, answering or not. */
  servers: (ServerRecord & { answering: boolean; instances: number })[];
  daemon: { socket: string; answering: boolean } | null;
}

export async function listTools(root: string): Promise<ToolsListing> {
  const dir = runDir(root);
  const now = Date.now();
  const listing: ToolsListing = { instances: [], servers: [], daemon: null };
  const records = readRecords(dir);
  const answers = await Promise.all(records.map((r) => ask(r.socket, { type: 'tools', v: PROTOCOL_VERSION }, ASK_MS)));
  for (const [i, record] of records.entries()) {
    const answer = answers[i] as ToolsResponse | null;
    if (answer === null || !answer.ok) {
      if (removeIfDead(dir, record)) continue;
      listing.servers.push({ ...record, answering: false, instances: 0 });
      continue;
    }
    listing.servers.push({ ...record, answering: true, instances: answer.instances.length });
    for (const inst of answer.instances) listing.instances.push({ ...inst, source: 'run', serverPid: record.pid, serverKey: record.key, uptimeMs: now - inst.startedAt });
  }
  await removeOrphanSockets(dir, new Set(records.map((r) => r.key)));
  const daemon = await askDaemon(root);
  if (daemon !== null) {
    listing.daemon = { socket: daemon.socket, answering: daemon.instances !== null };
    for (const inst of daemon.instances ?? []) listing.instances.push({ ...inst, source: 'daemon', serverPid: null, serverKey: null, uptimeMs: now - inst.startedAt });
  }
  return listing;
}

export async function toolsCommand(opts: { root: string; json: boolean }): Promise<number> {
  const listing = await listTools(opts.root);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    return 0;
  }
  // Fields come from other processes (the daemon may be of another version): show what is there.
  const rows = listing.instances.map((t) => [
    String(t.tool ?? '?'),
    String(t.pid),
    String(t.identity ?? '').slice(0, 12),
    String(t.state ?? '?'),
    String(t.records ?? '-'),
    Number.isFinite(t.uptimeMs) ? duration(t.uptimeMs) : '-',
    typeof t.rssBytes === 'number' ? megabytes(t.rssBytes) : '-',
    t.source === 'run' ? `run (server ${t.serverPid ?? '?'})` : 'daemon',
  ]);
  const lines: string[] = [];
  if (rows.length === 0) lines.push('no warm tool instances running');
  else lines.push(...table([['TOOL', 'PID', 'IDENTITY', 'STATE', 'RECORDS', 'UPTIME', 'RSS', 'HELD BY'], ...rows]));
  for (const s of listing.servers) {
    if (!s.answering) lines.push(`pipe run server ${s.pid} (${s.key}) does not answer on ${s.socket}`);
    else if (s.instances === 0) lines.push(`pipe run server ${s.pid} (${s.key}) holds no instance yet: ${s.argv.join(' ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** Sockets in the run directory with no record: a server that died before writing one, or after losing it. */
async function removeOrphanSockets(dir: string, known: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.endsWith('.sock') || known.has(n.slice(0, -5))) continue;
    const p = join(dir, n);
    if (!(await socketAnswers(p))) rmSync(p, { force: true });
  }
}

/**
 * The daemon's instances, or null instances when it does not answer. It speaks one JSON
 * object per line and wants `hello` first (src/daemon/messages/hello.ts): we greet it with
 * the version, protocol, root and config its own record gives, so it serves us whatever
 * our version, then send `{"type":"tools"}` and take the first answer carrying an
 * `instances` array (WarmPool#list() items). Anything else, or silence, means no listing.
 */
async function askDaemon(root: string): Promise<{ socket: string; instances: InstanceReport[] | null } | null> {
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(readFileSync(join(root, '.pipe', 'daemon.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const socket = info['socket'];
  if (typeof socket !== 'string') return null;
  const hello = {
    type: 'hello',
    version: typeof info['version'] === 'string' ? info['version'] : '',
    protocol: typeof info['protocol'] === 'number' ? info['protocol'] : 1,
    root: typeof info['root'] === 'string' ? info['root'] : root,
    config: typeof info['config'] === 'string' ? info['config'] : null,
  };
  return { socket, instances: await askLines(socket, [hello, { type: 'tools' }]) };
}

function askLines(path: string, messages: object[]): Promise<InstanceReport[] | null> {
  return new Promise((resolve) => {
    const c = connect(path);
    let buffer = '';
    const timer = setTimeout(() => done(null), DAEMON_MS);
    const done = (v: InstanceReport[] | null): void => {
      clearTimeout(timer);
      c.destroy();
      resolve(v);
    };
    c.setEncoding('utf8');
    c.on('connect', () => c.write(messages.map((m) => `${JSON.stringify(m)}\n`).join('')));
    c.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let m: unknown;
        try {
          m = JSON.parse(line);
        } catch {
          return done(null);
        }
        const instances = instancesOf(m);
        if (instances !== null) return done(instances);
        const type = typeof m === 'object' && m !== null ? (m as Record<string, unknown>)['type'] : undefined;
        if (type === 'exit' || (type === 'welcome' && (m as Record<string, unknown>)['ok'] === false)) return done(null);
        nl = buffer.indexOf('\n');
      }
    });
    c.on('end', () => done(null));
    c.on('error', () => done(null));
  });
}

function instancesOf(answer: unknown): InstanceReport[] | null {
  const list = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>)['instances'] : undefined;
  if (!Array.isArray(list)) return null;
  return list.filter((x): x is InstanceReport => typeof x === 'object' && x !== null && typeof (x as InstanceReport).pid === 'number');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
