// Start-up of `pipe daemon`, in an order that a SIGKILLed predecessor and a concurrent
// starter cannot break. The state store's lock is the daemon's mutex (the kernel releases it
// with the process): a daemon that does not get it at once has lost a race and exits,
// never waiting for it (it would take over after a `pipe stop`). Only with the store held
// does it listen (replacing a stale socket) and write its records.
import { statSync } from 'node:fs';
import type { Server } from 'node:net';
import { Session } from '../engine/session.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { err, ok, type Result } from '../util/result.js';
import { VERSION } from '../version.js';
import { answers } from './conversation.js';
import { fileId, listenPrivately } from './listen.js';
import { liveNoDaemonClient } from './no-daemon-marker.js';
import { liveOwner, writeOwner } from './owner.js';
import { daemonPaths, readRecord, type DaemonPaths, type DaemonRecord } from './paths.js';
import { processStart } from './process-identity.js';
import { PROTOCOL } from './protocol.js';
import type { DaemonStartFailure } from './start-failure.js';

export interface Booted {
  paths: DaemonPaths;
  session: Session;
  server: Server;
  /** fileId of the socket and of .pipe/ when the daemon started: what it may remove, and where it lives. */
  socketId: string;
  pipeDirId: string;
}

export async function boot(root: string, config: string | null): Promise<Result<Booted, DaemonStartFailure>> {
  const paths = await daemonPaths(root);
  if (statSync(root, { throwIfNoEntry: false })?.isDirectory() !== true) return err({ reason: 'root-gone', root });
  if (await answers(paths.socket)) return err({ reason: 'already-running', pid: readRecord(paths.record)?.pid });
  const noDaemon = liveNoDaemonClient(paths.pipeDir);
  if (noDaemon !== undefined) return err({ reason: 'store-busy', holder: `a --no-daemon client (pid ${noDaemon})` });
  const session = await Session.open({ root, configFile: config ?? undefined, lockWaitMs: 0 });
  if (!session.ok) {
    if (session.error.reason !== 'store-locked') return err({ reason: 'session', failure: session.error });
    if (await answers(paths.socket)) return err({ reason: 'already-running', pid: readRecord(paths.record)?.pid });
    const owner = liveOwner(paths.pipeDir);
    return err({ reason: 'store-busy', holder: owner !== undefined ? `the daemon pid ${owner.pid}` : 'another pipe process' });
  }
  const listening = await listenPrivately(paths.socket);
  const pipeDirId = fileId(paths.pipeDir);
  if (!listening.ok || pipeDirId === undefined) {
    await session.value.close();
    return err({ reason: 'listen', socket: paths.socket, message: listening.ok ? `${paths.pipeDir} vanished` : listening.error });
  }
  const record: DaemonRecord = { pid: process.pid, socket: paths.socket, version: VERSION, protocol: PROTOCOL, root, config, startedAt: new Date().toISOString(), start: processStart(process.pid) };
  writeFileAtomic(paths.record, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  writeOwner(paths.pipeDir, paths.socket, 'serving');
  return ok({ paths, session: session.value, server: listening.value.server, socketId: listening.value.id, pipeDirId });
}
