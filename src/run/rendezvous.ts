// Where `pipe run` clients and servers meet: `.pipe/run/` of the directory the command runs
// in (0700) holds each server's socket, record and log; the socket moves to a private
// directory under the temp directory when the project path is too long for a unix socket
// address. Loaded by the bundled run client: node:fs and node:path only.
import { lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePrivateDir } from '../util/private-dir.js';

/** sun_path holds 108 bytes on Linux (104 on macOS) including the NUL; stay under both. */
const MAX_SOCKET_PATH = 100;

export const runDir = (cwd: string): string => join(cwd, '.pipe', 'run');

export const recordPath = (dir: string, key: string): string => join(dir, `${key}.json`);
export const serverLogPath = (dir: string, key: string): string => join(dir, `${key}.log`);
export const toolLogDir = (dir: string): string => join(dir, 'logs');
export const digestCachePath = (dir: string): string => join(dir, 'digests.json');

/** The socket of the server with this key (the key covers the cwd, so the fallback stays unique). */
export function socketPath(dir: string, key: string): string {
  const local = join(dir, `${key}.sock`);
  if (Buffer.byteLength(local) <= MAX_SOCKET_PATH) return local;
  return join(privateTmp(), `${key}.sock`);
}

function privateTmp(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `docpipe-run-${uid}`);
}

/** os.tmpdir() on POSIX, without loading node:os on the hot path. */
function tmpdir(): string {
  const dir = process.env['TMPDIR'] || process.env['TMP'] || process.env['TEMP'] || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/**
 * Creates `.pipe/`, the run directory and, when sockets live in the temp fallback, that one
 * too, all 0700. Refuses a run or socket directory that is a symlink or another user's.
 */
export function ensureDirs(dir: string, socket: string): void {
  ensurePrivateDir(dirname(dir));
  for (const d of new Set([dir, dirname(socket)])) {
    const st = lstatSync(d, { throwIfNoEntry: false });
    const uid = typeof process.getuid === 'function' ? process.getuid() : st?.uid;
    if (st !== undefined && (!st.isDirectory() || st.uid !== uid)) throw new Error(`${d} is not a directory owned by this user; remove it`);
    ensurePrivateDir(d);
  }
}
