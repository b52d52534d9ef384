// The steps every command shares: open the session, load and validate the config, scan
// for existing files, plan.
import type { Pipeline } from '../config/validate.js';
import { Session, type SessionFailure } from '../engine/session.js';
import type { Plan } from '../plan/graph.js';
import { formatSessionFailure } from '../report/format-failure.js';
import { phase } from '../report/timings.js';
import { processIo, type Io } from './io.js';

export interface CommonOptions {
  root: string;
  config?: string | undefined;
}

export interface Loaded {
  session: Session;
  pipeline: Pipeline;
  existing: string[];
}

export interface Prepared extends Loaded {
  plan: Plan;
}

/** Opens, loads and scans; on failure prints the reason and returns the exit code. */
export async function load(opts: CommonOptions): Promise<Loaded | number> {
  phase('start');
  const session = await Session.open({ root: opts.root, configFile: opts.config });
  if (!session.ok) return fail(session.error);
  phase('open+load');
  const pipeline = await session.value.loadPipeline();
  if (!pipeline.ok) {
    await session.value.close();
    return fail(pipeline.error);
  }
  phase('config');
  const existing = await session.value.scan(pipeline.value);
  phase('scan');
  return { session: session.value, pipeline: pipeline.value, existing };
}

/** Plans a loaded session; on failure prints the reason and returns the exit code. */
export async function planLoaded(l: Loaded, io: Io = processIo): Promise<Prepared | number> {
  const plan = l.session.plan(l.pipeline, l.existing);
  if (!plan.ok) return fail(plan.error, io);
  phase('plan');
  return { ...l, plan: plan.value };
}

/** load + plan; closes the session when planning fails. */
export async function prepare(opts: CommonOptions): Promise<Prepared | number> {
  const l = await load(opts);
  if (typeof l === 'number') return l;
  const p = await planLoaded(l);
  if (typeof p === 'number') await l.session.close();
  return p;
}

export function fail(f: SessionFailure, io: Io = processIo): number {
  io.err(`pipe: ${formatSessionFailure(f)}\n`);
  return 2;
}
