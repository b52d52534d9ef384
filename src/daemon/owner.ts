// `.pipe/state.owner`: which daemon holds the state store. LevelDB's LOCK file says only
// that someone holds it; a client that cannot reach a daemon yet finds the store held reads
// this record to find that daemon, check it is really a live pipe daemon, and end it.
// Written by the daemon once it listens, removed by it (only if still its own) on stop.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { isPipeDaemon, processStart } from './process-identity.js';

/** serving: it should answer; stopping or draining: it is on its way out (finishing jobs when draining). */
export type OwnerState = 'serving' | 'stopping' | 'draining';

export interface StoreOwner {
  pid: number;
  state: OwnerState;
  /** processStart(pid) when the record was written: a reused pid does not match. */
  start: string;
  socket: string;
}

export const ownerPath = (pipeDir: string): string => join(pipeDir, 'state.owner');

export function writeOwner(pipeDir: string, socket: string, state: OwnerState): void {
  const owner: StoreOwner = { pid: process.pid, state, start: processStart(process.pid), socket };
  writeFileAtomic(ownerPath(pipeDir), JSON.stringify(owner) + '\n', { mode: 0o600 });
}

export function readOwner(pipeDir: string): StoreOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(ownerPath(pipeDir), 'utf8')) as StoreOwner;
    return typeof o.pid === 'number' && typeof o.start === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

/** The daemon named by the owner record, if it is a live pipe daemon that started when recorded. */
export function liveOwner(pipeDir: string): StoreOwner | undefined {
  const o = readOwner(pipeDir);
  return o !== undefined && o.pid !== process.pid && isPipeDaemon(o.pid, o.start) ? o : undefined;
}

/** Removes the record if this process wrote it. */
export function removeOwnOwner(pipeDir: string): void {
  if (readOwner(pipeDir)?.pid === process.pid) rmSync(ownerPath(pipeDir), { force: true });
}
