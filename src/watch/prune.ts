// `pipe watch --prune`: removes the outputs whose source is gone. The records know every
// output pipe ever wrote; an output that a current rule's pattern names but no task of the
// current plan produces was derived from a source that no longer exists.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import type { Plan } from '../plan/graph.js';

export async function pruneOrphans(session: Session, pipeline: Pipeline, plan: Plan): Promise<string[]> {
  const orphans = new Set(plan.orphans);
  const derived = (o: string): boolean => pipeline.rules.some((r) => r.outputs.some((p) => p.match(o) !== undefined));
  const removed: string[] = [];
  for (const [id, rec] of [...session.records]) {
    const gone = rec.outputs.every(([o]) => !plan.byOutput.has(o) && (orphans.has(o) || derived(o)));
    if (!gone || rec.outputs.length === 0) continue;
    for (const [o] of rec.outputs) {
      rmSync(join(session.root, o), { force: true });
      session.stats.forget(o);
      removed.push(o);
    }
    session.setRecord(id, null);
  }
  if (removed.length > 0) await session.flush();
  return removed.sort();
}
