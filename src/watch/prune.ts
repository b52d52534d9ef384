// `pipe watch --prune` and `pipe clean --orphans`: remove the outputs whose source is gone.
// The records know every output pipe ever wrote; an output that a current rule's pattern
// names but no task of the current plan produces was derived from a source that no longer
// exists.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import type { Plan } from '../plan/graph.js';

/** Whether a record's outputs are all orphans: none planned, each a known orphan or named by a rule's output pattern. */
export function orphanTest(pipeline: Pipeline, plan: Plan): (outputs: readonly string[]) => boolean {
  const orphans = new Set(plan.orphans);
  const derived = (o: string): boolean => pipeline.rules.some((r) => r.outputs.some((p) => p.match(o) !== undefined));
  return (outputs) => outputs.length > 0 && outputs.every((o) => !plan.byOutput.has(o) && (orphans.has(o) || derived(o)));
}

/** Removes orphaned outputs (those `keep` does not exclude) and their records; returns them sorted. */
export async function pruneOrphans(session: Session, pipeline: Pipeline, plan: Plan, keep: (output: string) => boolean = () => false): Promise<string[]> {
  const orphaned = orphanTest(pipeline, plan);
  const removed: string[] = [];
  for (const [id, rec] of [...session.records]) {
    const outputs = rec.outputs.map(([o]) => o);
    if (!orphaned(outputs) || outputs.every(keep)) continue;
    for (const o of outputs) {
      rmSync(join(session.root, o), { force: true });
      session.stats.forget(o);
      removed.push(o);
    }
    session.setRecord(id, null);
  }
  if (removed.length > 0) await session.flush();
  return removed.sort();
}
