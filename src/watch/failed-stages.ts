// Failed stages a watch does not retry until something they depend on changes. Without this,
// a failing tool that writes into a watched directory re-triggers itself forever
// (wireit#665), and every unrelated save re-runs (and re-reports) the same failure.
// The key is the stage key's ingredients: tool identity, command line and input digests.
import { digestFields } from '../hash/digest.js';
import { toolIdentity } from '../hash/tool-identity.js';
import type { Session } from '../engine/session.js';
import { commandFor } from '../engine/substitute.js';
import type { Plan, Task } from '../plan/graph.js';

export class FailedStages {
  /** Task id -> its key when it failed. */
  readonly #keys = new Map<string, string>();

  get size(): number {
    return this.#keys.size;
  }

  /** Remembers the tasks that failed (by output) and forgets those that built. */
  update(session: Session, plan: Plan, failed: Iterable<string>, built: Iterable<string>): void {
    for (const target of built) {
      const t = plan.byOutput.get(target);
      if (t !== undefined) this.#keys.delete(t.id);
    }
    for (const target of failed) {
      const t = plan.byOutput.get(target);
      if (t !== undefined) this.#keys.set(t.id, stageKey(session, t));
    }
    // Tasks gone from the plan (source deleted) are forgotten.
    for (const id of [...this.#keys.keys()]) if (!plan.byOutput.has(id.split('\n')[0] ?? '')) this.#keys.delete(id);
  }

  /** Tasks that failed before and whose inputs, tool and command are unchanged since. */
  unchanged(session: Session, plan: Plan): Task[] {
    const same: Task[] = [];
    for (const [id, key] of this.#keys) {
      const t = plan.byOutput.get(id.split('\n')[0] ?? '');
      if (t === undefined || t.id !== id) continue;
      if (stageKey(session, t) === key) same.push(t);
      else this.#keys.delete(id);
    }
    return same;
  }
}

function stageKey(session: Session, t: Task): string {
  const fields: string[] = [];
  const id = toolIdentity(t.rule.tool, session.root, session.stats);
  fields.push(id.ok ? id.value.digest : `unavailable:${JSON.stringify(id.error)}`);
  fields.push(...commandFor(t, t.outputs), '--');
  for (const i of t.inputs) fields.push(i, session.stats.state(`${session.root}/${i}`, i)?.digest ?? 'missing');
  return digestFields(fields);
}

/** `tasks` and everything that depends on them. */
export function withDependents(tasks: readonly Task[]): Set<Task> {
  const out = new Set<Task>();
  const stack = [...tasks];
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    if (out.has(t)) continue;
    out.add(t);
    stack.push(...t.dependents);
  }
  return out;
}
