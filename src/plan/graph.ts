// Builds the task graph by deriving forward from the files that exist: every file matching a
// rule's input starts a chain, each new output is matched again, until nothing new appears.
// Gather rules take every available path matching their globs once the chains settle.
// Near-linear in files × rules: planning must stay fast at a million jobs.
import { posix } from 'node:path';
import { toolProjectPaths } from '../config/tool-paths.js';
import type { Pipeline, Rule } from '../config/validate.js';
import { err, ok, type Result } from '../util/result.js';

export interface Task {
  /** Outputs joined by newlines: a task is the unique producer of its outputs. */
  id: string;
  rule: Rule;
  bindings: Record<string, string>;
  inputs: string[];
  outputs: string[];
  deps: Task[];
  dependents: Task[];
  /** The deps that build a file the task's tool names (`-u dic/user.dic`): also in `deps`. */
  toolDeps: Task[];
  /** Position in topological order. */
  order: number;
}

export interface Plan {
  /** Topologically sorted: every task after the tasks producing its inputs. */
  tasks: Task[];
  byOutput: Map<string, Task>;
  /** Source files: inputs that no task produces. */
  sources: Set<string>;
  /** Files we built once whose chain no longer exists (their source was deleted). */
  orphans: string[];
}

export type PlanFailure =
  | { reason: 'output-collision'; path: string; rules: [string, string] }
  | { reason: 'cycle'; cycle: string[] }
  | { reason: 'input-is-output'; rule: string; path: string }
  /** A chain of derivations longer than any real pipeline: rules feeding each other's inputs without end. */
  | { reason: 'derivation-loop'; rule: string; path: string; steps: number; chain: string[] };

/**
 * No real pipeline derives a file through this many steps; a chain this long is rules whose
 * outputs match each other's inputs (a -> b -> a ...), which would otherwise grow paths until
 * the heap runs out. Derivation is depth-first, so one chain reaches the bound quickly.
 */
export const MAX_DERIVATION_DEPTH = 200;

export interface PlanInput {
  pipeline: Pipeline;
  /** Existing files (relative posix paths) matching any rule input pattern. */
  existing: readonly string[];
  /** Paths recorded as outputs of earlier builds: not sources unless a chain derives them. */
  knownOutputs: ReadonlySet<string>;
}

export function buildPlan({ pipeline, existing, knownOutputs }: PlanInput): Result<Plan, PlanFailure> {
  const producer = new Map<string, Task | null>();
  const tasks: Task[] = [];
  const waiting = new Map<string, { rule: Rule; bindings: Record<string, string> }[]>();
  const queue: string[] = [];
  const mapRules = pipeline.rules.filter((r) => r.kind === 'map');
  const gatherRules = pipeline.rules.filter((r) => r.kind === 'gather');
  const tentative = new Set<string>();
  /** Derivation steps from a source to each produced path. */
  const depth = new Map<string, number>();

  for (const f of existing) {
    if (knownOutputs.has(f)) tentative.add(f);
    else if (!producer.has(f)) {
      producer.set(f, null);
      queue.push(f);
    }
  }

  let failure: PlanFailure | undefined;
  const addTask = (rule: Rule, bindings: Record<string, string>, inputs: string[], outputs: string[]): Task | undefined => {
    const task: Task = { id: outputs.join('\n'), rule, bindings, inputs, outputs, deps: [], dependents: [], toolDeps: [], order: -1 };
    let d = 0;
    for (const i of inputs) d = Math.max(d, depth.get(i) ?? 0);
    if (d + 1 > MAX_DERIVATION_DEPTH) {
      failure ??= { reason: 'derivation-loop', rule: rule.name, path: shorten(outputs[0] ?? ''), steps: MAX_DERIVATION_DEPTH, chain: chainTo(inputs, producer, depth) };
      return undefined;
    }
    for (const o of outputs) {
      const prev = producer.get(o);
      if (prev !== undefined && prev !== null) {
        failure ??= { reason: 'output-collision', path: o, rules: [prev.rule.name, rule.name] };
        return undefined;
      }
    }
    for (const o of outputs) {
      depth.set(o, d + 1);
      const wasSource = producer.get(o) === null;
      producer.set(o, task);
      tentative.delete(o);
      // A file that existed but was never ours is a source; a rule producing it turns it into
      // an output. Re-queueing is unnecessary: it was matched already as a source.
      if (!wasSource) queue.push(o);
    }
    tasks.push(task);
    return task;
  };

  const tryRule = (rule: Rule, bindings: Record<string, string>): void => {
    const outputs = rule.outputs.map((p) => p.substitute(bindings));
    const first = outputs[0] ?? '';
    const existingTask = producer.get(first);
    if (existingTask !== undefined && existingTask !== null && existingTask.rule === rule) return;
    const inputs = rule.inputs.map((p) => p.substitute(bindings));
    for (const i of inputs) {
      if (outputs.includes(i)) {
        failure ??= { reason: 'input-is-output', rule: rule.name, path: i };
        return;
      }
    }
    const missing = inputs.find((i) => !producer.has(i));
    if (missing !== undefined) {
      let list = waiting.get(missing);
      if (list === undefined) waiting.set(missing, (list = []));
      list.push({ rule, bindings });
      return;
    }
    addTask(rule, bindings, inputs, outputs);
  };

  const drain = (): void => {
    while (queue.length > 0 && failure === undefined) {
      const path = queue.pop() as string;
      const waiters = waiting.get(path);
      if (waiters !== undefined) {
        waiting.delete(path);
        for (const w of waiters) tryRule(w.rule, w.bindings);
      }
      for (const rule of mapRules) {
        for (const p of rule.inputs) {
          const b = p.match(path);
          if (b !== undefined) tryRule(rule, b);
        }
      }
    }
  };

  const gatherTasks = new Map<Rule, Task>();
  for (;;) {
    drain();
    if (failure !== undefined) return err(failure);
    let changed = false;
    for (const rule of gatherRules) {
      const outputs = rule.outputs.map((p) => p.source);
      const inputs = [...producer.keys()].filter((path) => !outputs.includes(path) && rule.inputs.some((p) => p.match(path) !== undefined)).sort();
      const prev = gatherTasks.get(rule);
      if (prev === undefined) {
        if (inputs.length === 0) continue;
        const t = addTask(rule, {}, inputs, outputs);
        if (t === undefined) return err(failure as unknown as PlanFailure);
        gatherTasks.set(rule, t);
        changed = true;
      } else if (prev.inputs.join('\n') !== inputs.join('\n')) {
        prev.inputs = inputs;
        changed = true;
      }
    }
    if (!changed) break;
  }

  // Link dependencies: on the producers of a task's inputs, and of the files its tool names
  // (a user dictionary compiled by another rule must exist before the tool starts, and its
  // digest is part of the tool's identity).
  const toolPaths = new Map<Rule, string[]>();
  for (const t of tasks) {
    const seen = new Set<Task>();
    const link = (path: string, tool: boolean): void => {
      const p = producer.get(path);
      if (p === undefined || p === null || p === t) return;
      if (tool && !t.toolDeps.includes(p)) t.toolDeps.push(p);
      if (seen.has(p)) return;
      seen.add(p);
      t.deps.push(p);
      p.dependents.push(t);
    };
    for (const i of t.inputs) link(i, false);
    let paths = toolPaths.get(t.rule);
    if (paths === undefined) toolPaths.set(t.rule, (paths = toolProjectPaths(t.rule.tool)));
    for (const f of paths) link(f, true);
  }

  const sorted = topoSort(tasks);
  if (!sorted.ok) return sorted;

  const byOutput = new Map<string, Task>();
  const sources = new Set<string>();
  for (const [path, t] of producer) {
    if (t === null) sources.add(path);
    else byOutput.set(path, t);
  }
  return ok({ tasks: sorted.value, byOutput, sources, orphans: [...tentative].sort() });
}

function topoSort(tasks: Task[]): Result<Task[], PlanFailure> {
  const indeg = new Map<Task, number>();
  for (const t of tasks) indeg.set(t, t.deps.length);
  const ready = tasks.filter((t) => t.deps.length === 0);
  const out: Task[] = [];
  for (let i = 0; i < ready.length; i++) {
    const t = ready[i] as Task;
    t.order = out.length;
    out.push(t);
    for (const d of t.dependents) {
      const n = (indeg.get(d) ?? 0) - 1;
      indeg.set(d, n);
      if (n === 0) ready.push(d);
    }
  }
  if (out.length === tasks.length) return ok(out);
  // Walk deps among the unsorted tasks until one repeats: that loop is the cycle.
  const left = new Set(tasks.filter((t) => t.order < 0));
  let cur = left.values().next().value as Task;
  const path: Task[] = [];
  while (!path.includes(cur)) {
    path.push(cur);
    cur = cur.deps.find((d) => left.has(d)) as Task;
  }
  const loop = path.slice(path.indexOf(cur));
  return err({ reason: 'cycle', cycle: [...loop, cur].map((t) => `${t.rule.name} (${t.outputs[0] ?? ''})`) });
}

/** Selects the tasks needed for `targets` (paths or directories), in topological order. */
export function selectTasks(plan: Plan, targets: readonly string[]): { tasks: Task[]; unknown: string[]; sources: string[] } {
  if (targets.length === 0) return { tasks: plan.tasks, unknown: [], sources: [] };
  const wanted = new Set<Task>();
  const unknown: string[] = [];
  const sources: string[] = [];
  const add = (t: Task): void => {
    if (wanted.has(t)) return;
    wanted.add(t);
    for (const d of t.deps) add(d);
  };
  for (const raw of targets) {
    const target = normalizeTarget(raw);
    const t = plan.byOutput.get(target);
    if (t !== undefined) {
      add(t);
      continue;
    }
    if (plan.sources.has(target)) {
      sources.push(target);
      continue;
    }
    const dir = target === '.' ? '' : target.replace(/\/?$/, '/');
    const under = dir === '' ? plan.tasks : plan.tasks.filter((x) => x.outputs.some((o) => o.startsWith(dir)));
    if (under.length > 0) under.forEach(add);
    else unknown.push(target);
  }
  return { tasks: plan.tasks.filter((t) => wanted.has(t)), unknown, sources };
}

export function normalizeTarget(raw: string): string {
  const n = posix.normalize(raw.replaceAll('\\', '/'));
  return n.startsWith('./') ? n.slice(2) : n.replace(/\/$/, '') || '.';
}

/** The last steps of the derivation that produced the deepest of `inputs`, for the diagnostic. */
function chainTo(inputs: readonly string[], producer: ReadonlyMap<string, Task | null>, depth: ReadonlyMap<string, number>): string[] {
  const deepest = (paths: readonly string[]): string | undefined => [...paths].sort((a, b) => (depth.get(b) ?? 0) - (depth.get(a) ?? 0))[0];
  const steps: string[] = [];
  let path = deepest(inputs);
  while (path !== undefined && steps.length < 4) {
    const t = producer.get(path);
    if (t === undefined || t === null) break;
    steps.unshift(`${t.rule.name}: ${shorten(path)}`);
    path = deepest(t.inputs);
  }
  return steps;
}

/** Paths of a runaway chain grow with every step: show their two ends. */
function shorten(path: string): string {
  return path.length > 72 ? `${path.slice(0, 30)}...${path.slice(-36)}` : path;
}
