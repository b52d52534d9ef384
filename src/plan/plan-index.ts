// A compact copy of the last complete plan, kept beside the state. When the clean marker's
// world digest still matches (same config, same file list, same environment), the plan is
// by construction the same as then, so a build after a few content edits need only rebuild
// the tasks downstream of the changed files: the "cone". Every other task was fresh at the
// last complete build and none of its inputs, outputs or tools changed its stat since.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Pipeline, Rule } from '../config/validate.js';
import type { Task } from './graph.js';

export interface PlanIndex {
  version: 1;
  world: string;
  /** Per task: [rule index, ...binding values in `ruleWildcards` order], or for a gather rule [rule index, ...inputs]. */
  tasks: (string | number)[][];
}

export function ruleWildcards(rule: Rule): string[] {
  return [...new Set(rule.inputs.flatMap((p) => p.wildcards))];
}

export function writePlanIndex(path: string, world: string, tasks: readonly Task[], pipeline: Pipeline): void {
  const index = new Map(pipeline.rules.map((r, i) => [r, i]));
  const rows = tasks.map((t) => {
    const ri = index.get(t.rule) ?? -1;
    return t.rule.kind === 'gather' ? [ri, ...t.inputs] : [ri, ...ruleWildcards(t.rule).map((w) => t.bindings[w] ?? '')];
  });
  const body: PlanIndex = { version: 1, world, tasks: rows };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(body));
  renameSync(tmp, path);
}

export function readPlanIndex(path: string, world: string): PlanIndex | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as PlanIndex;
    return v.version === 1 && v.world === world ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The tasks that read or write any changed path, and everything downstream of them, as
 * linked Task objects in topological order; undefined when a changed path is neither an
 * input nor an output of any task (a tool's file, say: then the caller plans in full).
 */
export function coneOf(pipeline: Pipeline, index: PlanIndex, changed: readonly string[]): { tasks: Task[]; total: number } | undefined {
  const all: Task[] = [];
  const readers = new Map<string, Task[]>();
  const producer = new Map<string, Task>();
  for (const row of index.tasks) {
    const rule = pipeline.rules[row[0] as number];
    if (rule === undefined) return undefined;
    let inputs: string[];
    let outputs: string[];
    let bindings: Record<string, string> = {};
    if (rule.kind === 'gather') {
      inputs = row.slice(1) as string[];
      outputs = rule.outputs.map((p) => p.source);
    } else {
      const names = ruleWildcards(rule);
      bindings = Object.fromEntries(names.map((n, i) => [n, row[i + 1] as string]));
      inputs = rule.inputs.map((p) => p.substitute(bindings));
      outputs = rule.outputs.map((p) => p.substitute(bindings));
    }
    const t: Task = { id: outputs.join('\n'), rule, bindings, inputs, outputs, deps: [], dependents: [], order: all.length };
    all.push(t);
    for (const i of inputs) {
      let list = readers.get(i);
      if (list === undefined) readers.set(i, (list = []));
      list.push(t);
    }
    for (const o of outputs) producer.set(o, t);
  }
  const cone = new Set<Task>();
  const stack: Task[] = [];
  for (const c of changed) {
    const r = readers.get(c);
    const p = producer.get(c);
    if (r === undefined && p === undefined) return undefined;
    for (const t of [...(r ?? []), ...(p !== undefined ? [p] : [])]) stack.push(t);
  }
  while (stack.length > 0) {
    const t = stack.pop() as Task;
    if (cone.has(t)) continue;
    cone.add(t);
    for (const o of t.outputs) for (const d of readers.get(o) ?? []) stack.push(d);
  }
  // Index order is the plan's topological order; link dependencies inside the cone only
  // (a dependency outside it is fresh by the argument above).
  const tasks = all.filter((t) => cone.has(t));
  for (const t of tasks) {
    const seen = new Set<Task>();
    for (const i of t.inputs) {
      const p = producer.get(i);
      if (p !== undefined && cone.has(p) && !seen.has(p)) {
        seen.add(p);
        t.deps.push(p);
        p.dependents.push(t);
      }
    }
  }
  return { tasks, total: all.length };
}
