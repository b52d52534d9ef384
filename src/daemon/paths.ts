// Where a project's daemon lives: its socket, its record (.pipe/daemon.json) and its log.
// Loaded by the client on every call, so node:fs and node:path only (node:crypto only for
// a root too long for a socket path).
import { lstatSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ensurePrivateDir } from '../util/private-dir.js';

/** sun_path holds 108 bytes on Linux and 104 on macOS; stay clear of both. */
const MAX_SOCKET_BYTES = 100;

export interface DaemonPaths {
  pipeDir: string;
  socket: string;
  /** {pid, socket, version, ...} of the running daemon; removed by that daemon only. */
  record: string;
  log: string;
}

export async function daemonPaths(root: string): Promise<DaemonPaths> {
  const pipeDir = join(root, '.pipe');
  let socket = join(pipeDir, 'daemon.sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_BYTES) {
    // Too long for a unix socket: a name derived from the root, in a directory of the temp
    // directory that only this user may enter (a name in /tmp itself could be squatted).
    const { createHash } = await import('node:crypto');
    socket = join(tmpdir(), `docpipe-${process.getuid?.() ?? 'user'}`, `${createHash('sha256').update(root).digest('hex').slice(0, 20)}.sock`);
  }
  return { pipeDir, socket, record: join(pipeDir, 'daemon.json'), log: join(pipeDir, 'daemon.log') };
}

/**
 * Makes the directory the socket lives in (0700) and checks that it is this user's own real
 * directory; else a message naming it. Another local user can create a directory in /tmp
 * under the name we would use: we must neither listen nor connect there.
 */
export function ensureSocketDir(socket: string): string | undefined {
  const dir = dirname(socket);
  const before = lstatSync(dir, { throwIfNoEntry: false });
  const uid = process.getuid?.();
  if (before !== undefined && (!before.isDirectory() || (uid !== undefined && before.uid !== uid))) {
    return `${dir} is not a directory of yours (${before.isSymbolicLink() ? 'a symbolic link' : before.isDirectory() ? `owned by uid ${before.uid}` : 'not a directory'}); remove it or use a shorter project path`;
  }
  ensurePrivateDir(dir);
  return undefined;
}

export interface DaemonRecord {
  pid: number;
  socket: string;
  version: string;
  protocol: number;
  root: string;
  config: string | null;
  startedAt: string;
  /** processStart(pid): tells this daemon from a later process given the same pid. */
  start?: string;
}

export function readRecord(path: string): DaemonRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as DaemonRecord;
    return typeof r.pid === 'number' && typeof r.socket === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` runs. A zombie (exited, not yet reaped by its new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A target as typed in the shell (relative to cwd) as a project-relative path; outside the root: unchanged. */
export function projectRelative(root: string, target: string, cwd: string = process.cwd()): string {
  const rel = relative(resolve(root), resolve(cwd, target));
  return rel.startsWith('..') ? target : rel === '' ? '.' : rel;
}

/** The last `lines` lines of the daemon's log, for a client whose daemon did not answer. */
export function logTail(path: string, lines = 20): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
