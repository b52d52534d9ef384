// `.pipe/no-daemon/<pid>`: a `--no-daemon` client at work. While one lives, no daemon starts
// for the project: the client has asked the running daemon to finish its jobs and exit, and
// a daemon auto-started by another client in that gap would take the state store from it.
// Clients that find a marker build in their own process too, queueing on the store's lock.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../util/private-dir.js';
import { isAlive } from './paths.js';
import { processStart } from './process-identity.js';

const markerDir = (pipeDir: string): string => join(pipeDir, 'no-daemon');

/** Marks this process as a --no-daemon client until it exits. */
export function markNoDaemon(pipeDir: string): void {
  const dir = markerDir(pipeDir);
  ensurePrivateDir(dir);
  const file = join(dir, String(process.pid));
  writeFileSync(file, processStart(process.pid), { mode: 0o600 });
  process.once('exit', () => rmSync(file, { force: true }));
}

/** The pid of a live --no-daemon client of the project (stale markers are removed on the way). */
export function liveNoDaemonClient(pipeDir: string): number | undefined {
  const dir = markerDir(pipeDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    const pid = Number(n);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let start = '';
    try {
      start = readFileSync(join(dir, n), 'utf8');
    } catch {
      continue;
    }
    if (isAlive(pid) && (start === '' || processStart(pid) === start)) return pid;
    rmSync(join(dir, n), { force: true });
  }
  return undefined;
}
