// What the daemon does for build, why and status: the same commands as without it, on the
// daemon's session and pool, with the file list kept current from file events.
import { executeBuild } from '../commands/build.js';
import { planLoaded } from '../commands/prepare.js';
import { executeStatus } from '../commands/status.js';
import { executeWhy } from '../commands/why.js';
import type { Pipeline } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import type { WarmPool } from '../tools/warm-pool.js';
import type { Connection } from './connection.js';
import type { BuildMessage } from './messages/build.js';
import { EVENT } from './messages/event.js';
import type { StatusMessage } from './messages/status.js';
import type { WhyMessage } from './messages/why.js';

export interface RequestHost {
  readonly session: Session;
  readonly pool: WarmPool;
  scan(pipeline: Pipeline): Promise<string[]>;
}

/** The log line's name for a request. */
export function jobTitle(m: BuildMessage | WhyMessage | StatusMessage): string {
  switch (m.type) {
    case 'build':
      return `build${m.dryRun ? ' -n' : ''}${m.targets.length > 0 ? ` ${m.targets.slice(0, 3).join(' ')}${m.targets.length > 3 ? ' ...' : ''}` : ''}`;
    case 'why':
      return `why ${m.target}`;
    case 'status':
      return 'status';
  }
}

export async function serveBuild(h: RequestHost, c: Connection, m: BuildMessage, pipeline: Pipeline, signal: AbortSignal): Promise<number> {
  const req = { targets: m.targets, jobs: m.jobs, keepGoing: m.keepGoing, dryRun: m.dryRun, cache: m.cache };
  return executeBuild(h.session, req, c.io, (event) => c.send({ type: EVENT, event }), { pool: h.pool, signal, existing: await h.scan(pipeline) });
}

export async function serveWhy(h: RequestHost, c: Connection, m: WhyMessage, pipeline: Pipeline): Promise<number> {
  const p = await planLoaded({ session: h.session, pipeline, existing: await h.scan(pipeline) }, c.io);
  return typeof p === 'number' ? p : executeWhy(p, { target: m.target, json: m.json }, c.io);
}

export async function serveStatus(h: RequestHost, c: Connection, m: StatusMessage, pipeline: Pipeline): Promise<number> {
  const p = await planLoaded({ session: h.session, pipeline, existing: await h.scan(pipeline) }, c.io);
  return typeof p === 'number' ? p : executeStatus(p, { json: m.json }, c.io);
}
