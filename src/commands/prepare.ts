// The steps every command shares: open the session, load and validate the config, plan.
import type { Pipeline } from '../config/validate.js';
import { Session, type SessionFailure } from '../engine/session.js';
import type { Plan } from '../plan/graph.js';
import { formatSessionFailure } from '../report/format-failure.js';

export interface CommonOptions {
  root: string;
  config?: string | undefined;
}

export interface Prepared {
  session: Session;
  pipeline: Pipeline;
  plan: Plan;
}

/** Opens and plans; on failure prints the reason and returns the exit code. */
export async function prepare(opts: CommonOptions): Promise<Prepared | number> {
  const session = await Session.open({ root: opts.root, configFile: opts.config });
  if (!session.ok) return fail(session.error);
  const pipeline = await session.value.loadPipeline();
  if (!pipeline.ok) {
    await session.value.close();
    return fail(pipeline.error);
  }
  const plan = await session.value.plan(pipeline.value);
  if (!plan.ok) {
    await session.value.close();
    return fail(plan.error);
  }
  return { session: session.value, pipeline: pipeline.value, plan: plan.value };
}

function fail(f: SessionFailure): number {
  process.stderr.write(`pipe: ${formatSessionFailure(f)}\n`);
  return 2;
}
