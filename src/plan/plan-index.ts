// A compact copy of the last complete plan, kept beside the state. When the clean marker's
// world digest still matches (same config, same file list, same environment), the plan is
// by construction the same as then, so a build after a few content edits need only rebuild
// the tasks downstream of the changed files: the "cone". Every other task was fresh at the
// last complete build and none of its inputs, outputs or tools changed its stat since.
import { readFileSync } from 'node:fs';
import { toolProjectPaths } from '../config/tool-paths.js';
import type { Pipeline, Rule } from '../config/validate.js';
import type { Task } from './graph.js';
import { writeFileAtomic } from '../util/atomic-write.js';

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
  writeFileAtomic(path, JSON.stringify(body));
}

export function readPlanIndex(path: string, world: string): PlanIndex | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as PlanIndex;
    return v.version === 1 && v.world === world ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The index decoded once per world: a daemon keeps it across builds (see Session.indexGraph). */
export interface IndexGraph {
  rows: { rule: Rule; bindings: Record<string, string>; inputs: string[]; outputs: string[] }[];
  readers: Map<string, number[]>;
  producer: Map<string, number>;
}

export function indexGraph(pipeline: Pipeline, index: PlanIndex): IndexGraph | undefined {
  const rows: IndexGraph['rows'] = [];
  const readers = new Map<string, number[]>();
  const producer = new Map<string, number>();
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
    const at = rows.length;
    rows.push({ rule, bindings, inputs, outputs });
    // A file the rule's tool names is read like an input (see buildPlan).
    for (const i of [...inputs, ...toolProjectPaths(rule.tool)]) {
      let list = readers.get(i);
      if (list === undefined) readers.set(i, (list = []));
      list.push(at);
    }
    for (const o of outputs) producer.set(o, at);
  }
  return { rows, readers, producer };
}

/**
 * The tasks that read or write any changed path, and everything downstream of them, as
 * new linked Task objects in topological order; undefined when a changed path is neither
 * an input nor an output of any task (a tool's file, say: then the caller plans in full).
 */
export function coneOf(graph: IndexGraph, changed: readonly string[]): { tasks: Task[]; total: number } | undefined {
  const cone = new Set<number>();
  const stack: number[] = [];
  for (const c of changed) {
    const r = graph.readers.get(c);
    const p = graph.producer.get(c);
    if (r === undefined && p === undefined) return undefined;
    if (r !== undefined) stack.push(...r);
    if (p !== undefined) stack.push(p);
  }
  while (stack.length > 0) {
    const i = stack.pop() as number;
    if (cone.has(i)) continue;
    cone.add(i);
    for (const o of graph.rows[i]?.outputs ?? []) stack.push(...(graph.readers.get(o) ?? []));
  }
  // Row order is the plan's topological order; dependencies are linked inside the cone only
  // (one outside it is fresh by the argument at the top of this file).
  const order = [...cone].sort((a, b) => a - b);
  const made = new Map<number, Task>();
  for (const i of order) {
    const r = graph.rows[i] as IndexGraph['rows'][number];
    const t: Task = { id: r.outputs.join('\n'), rule: r.rule, bindings: r.bindings, inputs: r.inputs, outputs: r.outputs, deps: [], dependents: [], toolDeps: [], order: i };
    made.set(i, t);
    const link = (path: string, tool: boolean): void => {
      const p = graph.producer.get(path);
      const dep = p === undefined ? undefined : made.get(p);
      if (dep === undefined || dep === t) return;
      if (tool && !t.toolDeps.includes(dep)) t.toolDeps.push(dep);
      if (!t.deps.includes(dep)) {
        t.deps.push(dep);
        dep.dependents.push(t);
      }
    };
    for (const input of r.inputs) link(input, false);
    for (const f of toolProjectPaths(r.rule.tool)) link(f, true);
  }
  return { tasks: [...made.values()], total: graph.rows.length };
}
