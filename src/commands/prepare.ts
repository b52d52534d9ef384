// The steps every command shares: open the session, load and validate the config, scan
// for existing files, plan.
import type { Pipeline } from '../config/validate.js';
import { Session, type SessionFailure } from '../engine/session.js';
import type { Plan } from '../plan/graph.js';
import { formatSessionFailure } from '../report/format-failure.js';

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
  const session = await Session.open({ root: opts.root, configFile: opts.config });
  if (!session.ok) return fail(session.error);
  const pipeline = await session.value.loadPipeline();
  if (!pipeline.ok) {
    await session.value.close();
    return fail(pipeline.error);
  }
  const existing = await session.value.scan(pipeline.value);
  return { session: session.value, pipeline: pipeline.value, existing };
}

/** Plans a loaded session; on failure closes it, prints the reason, returns the exit code. */
export async function planLoaded(l: Loaded): Promise<Prepared | number> {
  const plan = l.session.plan(l.pipeline, l.existing);
  if (!plan.ok) {
    await l.session.close();
    return fail(plan.error);
  }
  return { ...l, plan: plan.value };
}

export async function prepare(opts: CommonOptions): Promise<Prepared | number> {
  const l = await load(opts);
  return typeof l === 'number' ? l : planLoaded(l);
}

function fail(f: SessionFailure): number {
  process.stderr.write(`pipe: ${formatSessionFailure(f)}\n`);
  return 2;
}
