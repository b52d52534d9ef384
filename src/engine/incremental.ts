// The fast paths of a full build, valid only while the world of the last complete build holds
// (same config, same file list, same environment; see CleanMarker and plan-index.ts):
// - no stat changed since: the build is a no-op, answered without planning;
// - a few files changed: only their cone (the tasks reading or writing them and everything
//   downstream) is evaluated;
// - otherwise the build plans in full.
import type { Pipeline } from '../config/validate.js';
import type { Digest } from '../hash/digest.js';
import type { Task } from '../plan/graph.js';
import { coneOf } from '../plan/plan-index.js';
import { phase } from '../report/timings.js';
import type { BuildSummary } from './scheduler.js';
import type { Session } from './session.js';

export type FastPath =
  | { kind: 'no-op'; world: Digest; tasks: number }
  | { kind: 'cone'; world: Digest; tasks: Task[]; total: number }
  | { kind: 'full'; world: Digest };

/** Which path a build takes; `full`: every target is wanted and it is not a dry run. */
export function fastPath(session: Session, pipeline: Pipeline, existing: readonly string[], full: boolean): FastPath {
  const world = session.world(pipeline, existing);
  const marker = full ? session.cleanFor(world) : undefined;
  if (marker === undefined) return { kind: 'full', world };
  const changed = session.stats.verifyAll(session.root);
  phase('clean-check');
  // Nothing that decides the plan or any key changed since the last complete build.
  if (changed.length === 0) return { kind: 'no-op', world, tasks: marker.tasks };
  const graph = session.indexGraph(world);
  const cone = graph === undefined ? undefined : coneOf(graph, changed);
  phase('cone');
  return cone === undefined ? { kind: 'full', world } : { kind: 'cone', world, tasks: cone.tasks, total: cone.total };
}

/** After a build: a complete, successful one makes the next build's fast paths valid. */
export function recordOutcome(session: Session, path: FastPath, summary: BuildSummary, plannedTasks: readonly Task[] | undefined): void {
  if (!summary.ok || summary.treeIdentity) return;
  if (path.kind === 'cone') session.markClean({ world: path.world, tasks: path.total });
  else if (plannedTasks !== undefined) {
    session.markClean({ world: path.world, tasks: plannedTasks.length });
    session.savePlanIndex(path.world, plannedTasks);
  }
}
