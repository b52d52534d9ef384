// The servers a run directory knows of: their records (`<key>.json`), a one-question
// client for their sockets, and clean-up of servers that died without tidying up.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { isAlive } from '../daemon/paths.js';
import { encodeHeader, HeaderReader } from './frames.js';
import { recordPath } from './rendezvous.js';
import type { Request, ServerRecord } from './protocol.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Whether something accepts connections on the socket. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.on('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

/** Asks one server a question; resolves with its response header, or null when it does not answer within `ms`. */
export function ask(socket: string, request: Request, ms: number): Promise<unknown> {
  return new Promise((resolve) => {
    const c = connect(socket);
    const reader = new HeaderReader();
    const timer = setTimeout(() => done(null), ms);
    const done = (v: unknown): void => {
      clearTimeout(timer);
      c.destroy();
      resolve(v);
    };
    c.on('connect', () => c.end(encodeHeader(request)));
    c.on('data', (chunk: Buffer) => {
      try {
        const got = reader.push(chunk);
        if (got !== null) done(got.header);
      } catch {
        done(null);
      }
    });
    c.on('error', () => done(null));
    c.on('end', () => done(null));
  });
}

/** Server records in the run directory (unreadable ones skipped). */
export function readRecords(dir: string): ServerRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const records: ServerRecord[] = [];
  for (const n of names) {
    if (!n.endsWith('.json') || n === 'digests.json') continue;
    try {
      const r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as ServerRecord;
      if (typeof r.pid === 'number' && typeof r.socket === 'string' && typeof r.key === 'string') records.push(r);
    } catch {
      // Half-written or foreign: skip.
    }
  }
  return records;
}

/** Removes the socket and record of a server whose process is gone; true when it did. */
export function removeIfDead(dir: string, record: ServerRecord): boolean {
  if (isAlive(record.pid)) return false;
  rmSync(record.socket, { force: true });
  rmSync(recordPath(dir, record.key), { force: true });
  return true;
}

export function writeRecord(path: string, record: ServerRecord): void {
  writeFileAtomic(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function removeRecordIfOwn(path: string): void {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as ServerRecord;
    if (r.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // Gone already.
  }
}
