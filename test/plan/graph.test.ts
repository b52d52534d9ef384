// The planner on real validated configs: forward derivation from existing files, gather rules,
// topological order, collisions, cycles, orphans and target selection.
import { describe, expect, it } from 'vitest';
import { validateConfig, type Pipeline } from '../../src/config/validate.js';
import { buildPlan, selectTasks, type Plan, type PlanFailure, type Task } from '../../src/plan/graph.js';

function pipeline(raw: unknown): Pipeline {
  const r = validateConfig('/p/pipeline.config.ts', raw);
  if (!r.ok) throw new Error(`config: ${JSON.stringify(r.error)}`);
  return r.value;
}

function plan(raw: unknown, existing: string[], knownOutputs: string[] = []): Plan {
  const r = buildPlan({ pipeline: pipeline(raw), existing, knownOutputs: new Set(knownOutputs) });
  if (!r.ok) throw new Error(`plan: ${JSON.stringify(r.error)}`);
  return r.value;
}

function planFailure(raw: unknown, existing: string[], knownOutputs: string[] = []): PlanFailure {
  const r = buildPlan({ pipeline: pipeline(raw), existing, knownOutputs: new Set(knownOutputs) });
  if (r.ok) throw new Error(`expected a plan failure, got tasks ${r.value.tasks.map((t) => t.id).join(', ')}`);
  return r.error;
}

const PMB = {
  tools: {
    tok: { command: ['tok'] },
    parse: { command: ['parse', '-m', 'models/parse.model'] },
  },
  rules: [
    { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
    { name: 'parse', input: 'out/{doc}.tok', output: 'out/{doc}.parse', tool: 'parse' },
    { name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats'] },
  ],
};

const summary = (t: Task): string => `${t.rule.name}: ${t.inputs.join(',')} -> ${t.outputs.join(',')}`;
const byTarget = (p: Plan, out: string): Task => {
  const t = p.byOutput.get(out);
  if (t === undefined) throw new Error(`no task for ${out}`);
  return t;
};

function expectTopological(p: Plan): void {
  p.tasks.forEach((t, i) => {
    expect(t.order).toBe(i);
    for (const d of t.deps) expect(d.order, `${summary(t)} must come after ${summary(d)}`).toBeLessThan(t.order);
  });
}

describe('buildPlan', () => {
  it('derives chains forward from existing sources', () => {
    const p = plan(PMB, ['data/a.txt', 'data/b.txt']);
    expect(p.tasks.map(summary).sort()).toEqual([
      'parse: out/a.tok -> out/a.parse',
      'parse: out/b.tok -> out/b.parse',
      'stats: out/a.parse,out/b.parse -> out/corpus.stats',
      'tokenize: data/a.txt -> out/a.tok',
      'tokenize: data/b.txt -> out/b.tok',
    ]);
    expect([...p.sources].sort()).toEqual(['data/a.txt', 'data/b.txt']);
    expect([...p.byOutput.keys()].sort()).toEqual(['out/a.parse', 'out/a.tok', 'out/b.parse', 'out/b.tok', 'out/corpus.stats']);
    expect(byTarget(p, 'out/a.parse').bindings).toEqual({ doc: 'a' });
    expect(byTarget(p, 'out/a.parse').deps).toEqual([byTarget(p, 'out/a.tok')]);
    expect(byTarget(p, 'out/a.tok').deps).toEqual([]);
    expect(byTarget(p, 'out/a.tok').dependents).toEqual([byTarget(p, 'out/a.parse')]);
    expect(p.orphans).toEqual([]);
  });

  it('a wildcard never reaches into subdirectories', () => {
    const p = plan(PMB, ['data/a.txt', 'data/sub/b.txt']);
    expect([...p.byOutput.keys()].sort()).toEqual(['out/a.parse', 'out/a.tok', 'out/corpus.stats']);
  });

  it('a gather rule collects every derived output, sorted, whatever the discovery order', () => {
    const p = plan(PMB, ['data/c.txt', 'data/a.txt', 'data/b.txt']);
    const stats = byTarget(p, 'out/corpus.stats');
    expect(stats.rule.kind).toBe('gather');
    expect(stats.inputs).toEqual(['out/a.parse', 'out/b.parse', 'out/c.parse']);
    expect(stats.deps.map((d) => d.outputs[0]).sort()).toEqual(['out/a.parse', 'out/b.parse', 'out/c.parse']);
  });

  it('a gather rule also collects existing source files matching its glob', () => {
    const p = plan(PMB, ['data/b.txt', 'out/hand.parse']);
    expect(byTarget(p, 'out/corpus.stats').inputs).toEqual(['out/b.parse', 'out/hand.parse']);
    expect(p.sources.has('out/hand.parse')).toBe(true);
  });

  it('a gather rule with nothing to gather makes no task', () => {
    const p = plan(PMB, []);
    expect(p.tasks).toEqual([]);
    expect(p.byOutput.has('out/corpus.stats')).toBe(false);
  });

  it('a gather rule can feed a map rule and another gather rule', () => {
    const p = plan(
      {
        rules: [
          { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] },
          { name: 'stats', input: 'out/*.tok', output: 'sum/corpus.stats', command: ['stats'] },
          { name: 'render', input: 'sum/{name}.stats', output: 'report/{name}.txt', command: ['tok'] },
          { name: 'index', input: 'report/*.txt', output: 'index.txt', command: ['stats'] },
        ],
      },
      ['data/x.txt', 'data/y.txt'],
    );
    expect(p.tasks.map((t) => t.outputs[0])).toEqual(expect.arrayContaining(['out/x.tok', 'out/y.tok', 'sum/corpus.stats', 'report/corpus.txt', 'index.txt']));
    expect(p.tasks).toHaveLength(5);
    expect(byTarget(p, 'index.txt').inputs).toEqual(['report/corpus.txt']);
    expectTopological(p);
  });

  it('orders tasks topologically: every task after the producers of its inputs', () => {
    const p = plan(PMB, ['data/e.txt', 'data/d.txt', 'data/c.txt', 'data/b.txt', 'data/a.txt']);
    expect(p.tasks).toHaveLength(11);
    expectTopological(p);
    const stats = byTarget(p, 'out/corpus.stats');
    expect(p.tasks.at(-1)).toBe(stats);
    for (const doc of ['a', 'b', 'c', 'd', 'e']) {
      expect(p.tasks.indexOf(byTarget(p, `out/${doc}.tok`))).toBeLessThan(p.tasks.indexOf(byTarget(p, `out/${doc}.parse`)));
    }
  });

  it('reports two rules producing the same concrete output', () => {
    // The patterns differ (so validation passes) but doc=a-v and doc=a meet at out/a-v.x.
    const f = planFailure(
      {
        rules: [
          { name: 'plain', input: 'data/{doc}.txt', output: 'out/{doc}.x', command: ['tok'] },
          { name: 'variant', input: 'src/{doc}.txt', output: 'out/{doc}-v.x', command: ['tok'] },
        ],
      },
      ['data/a-v.txt', 'src/a.txt'],
    );
    expect(f.reason).toBe('output-collision');
    if (f.reason !== 'output-collision') return;
    expect(f.path).toBe('out/a-v.x');
    expect([...f.rules].sort()).toEqual(['plain', 'variant']);
  });

  it('reports a cycle with the loop of tasks, closed on itself', () => {
    const f = planFailure(
      {
        rules: [
          { name: 'forth', input: 'x/{n}.a', output: 'x/{n}.b', command: ['tok'] },
          { name: 'back', input: 'x/{n}.b', output: 'x/{n}.a', command: ['tok'] },
        ],
      },
      ['x/1.a'],
    );
    expect(f.reason).toBe('cycle');
    if (f.reason !== 'cycle') return;
    expect(f.cycle).toHaveLength(3);
    expect(f.cycle[0]).toBe(f.cycle[2]);
    expect([f.cycle[0], f.cycle[1]].sort()).toEqual(['back (x/1.a)', 'forth (x/1.b)']);
  });

  it('reports a rule that reads its own output', () => {
    const f = planFailure({ rules: [{ name: 'self', input: ['data/{doc}.txt', 'out/{doc}.x'], output: 'out/{doc}.x', command: ['tok', '{input}', '{output}'] }] }, ['data/a.txt', 'out/a.x']);
    expect(f).toEqual({ reason: 'input-is-output', rule: 'self', path: 'out/a.x' });
  });

  it('a known output whose source is gone is an orphan, not a source', () => {
    const p = plan(PMB, ['data/a.txt', 'out/a.tok', 'out/a.parse', 'out/b.tok', 'out/b.parse'], ['out/a.tok', 'out/a.parse', 'out/b.tok', 'out/b.parse', 'out/corpus.stats']);
    expect(p.orphans).toEqual(['out/b.parse', 'out/b.tok']);
    expect(p.sources.has('out/b.tok')).toBe(false);
    expect(p.sources.has('out/b.parse')).toBe(false);
    expect([...p.sources]).toEqual(['data/a.txt']);
    expect(byTarget(p, 'out/corpus.stats').inputs).toEqual(['out/a.parse']);
    expect(p.tasks).toHaveLength(3);
  });

  it('a known output that a chain still derives is an output, not an orphan', () => {
    const p = plan(PMB, ['data/a.txt', 'out/a.tok'], ['out/a.tok']);
    expect(p.orphans).toEqual([]);
    expect(byTarget(p, 'out/a.tok').rule.name).toBe('tokenize');
    expect(p.sources.has('out/a.tok')).toBe(false);
  });

  it('a file that exists but was never ours is a source and starts its own chain', () => {
    const p = plan(PMB, ['data/a.txt', 'out/c.tok']);
    expect([...p.sources].sort()).toEqual(['data/a.txt', 'out/c.tok']);
    expect(p.byOutput.has('out/c.tok')).toBe(false);
    expect(summary(byTarget(p, 'out/c.parse'))).toBe('parse: out/c.tok -> out/c.parse');
    expect(byTarget(p, 'out/c.parse').deps).toEqual([]);
    expect(byTarget(p, 'out/corpus.stats').inputs).toEqual(['out/a.parse', 'out/c.parse']);
    expect(p.orphans).toEqual([]);
  });

  it('a rule with a secondary input makes a task only where every input exists', () => {
    const raw = {
      rules: [{ name: 'align', input: ['data/{doc}.txt', 'data/{doc}.meta'], output: 'out/{doc}.aligned', command: ['tok', '{input}'] }],
    };
    const p = plan(raw, ['data/a.txt', 'data/a.meta', 'data/b.txt', 'data/c.meta']);
    expect(p.tasks.map(summary)).toEqual(['align: data/a.txt,data/a.meta -> out/a.aligned']);
  });

  it('a secondary input derived by another rule wakes the waiting task', () => {
    const raw = {
      rules: [
        { name: 'align', input: ['data/{doc}.txt', 'out/{doc}.meta'], output: 'out/{doc}.aligned', command: ['tok', '{input}'] },
        { name: 'meta', input: 'raw/{doc}.m', output: 'out/{doc}.meta', command: ['tok'] },
      ],
    };
    const p = plan(raw, ['data/a.txt', 'data/b.txt', 'raw/a.m']);
    expect(p.tasks.map(summary).sort()).toEqual(['align: data/a.txt,out/a.meta -> out/a.aligned', 'meta: raw/a.m -> out/a.meta']);
    expect(byTarget(p, 'out/a.aligned').deps).toEqual([byTarget(p, 'out/a.meta')]);
    expectTopological(p);
  });

  it('a multi-output task is the producer of each of its outputs', () => {
    const p = plan({ rules: [{ name: 'split', input: 'data/{doc}.txt', output: ['out/{doc}.odd', 'out/{doc}.even'], command: ['split2', '{input}', '{output[0]}', '{output[1]}'] }] }, ['data/a.txt']);
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]?.id).toBe('out/a.odd\nout/a.even');
    expect(p.byOutput.get('out/a.odd')).toBe(p.tasks[0]);
    expect(p.byOutput.get('out/a.even')).toBe(p.tasks[0]);
  });
});

describe('selectTasks', () => {
  const raw = {
    rules: [
      { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] },
      { name: 'parse', input: 'out/{doc}.tok', output: 'out/{doc}.parse', command: ['parse'] },
      { name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats'] },
      { name: 'meta', input: 'data/{doc}.txt', output: 'meta/{doc}.m', command: ['tok'] },
      { name: 'outer', input: 'data/{doc}.txt', output: 'outer/{doc}.o', command: ['tok'] },
    ],
  };
  const p = plan(raw, ['data/a.txt', 'data/b.txt']);
  const outs = (tasks: Task[]): string[] => tasks.map((t) => t.outputs[0] ?? '');

  it('no targets selects every task', () => {
    const s = selectTasks(p, []);
    expect(s.tasks).toBe(p.tasks);
    expect(s).toMatchObject({ unknown: [], sources: [] });
  });

  it('a file target selects its task and its dependencies only, in plan order', () => {
    const s = selectTasks(p, ['out/a.parse']);
    expect(outs(s.tasks)).toEqual(['out/a.tok', 'out/a.parse']);
    expect(s).toMatchObject({ unknown: [], sources: [] });
  });

  it('a gather target selects the whole closure', () => {
    const s = selectTasks(p, ['./out/corpus.stats']);
    expect(outs(s.tasks).sort()).toEqual(['out/a.parse', 'out/a.tok', 'out/b.parse', 'out/b.tok', 'out/corpus.stats']);
    expectInPlanOrder(s.tasks);
  });

  it('a directory target selects every task with an output under it, and no sibling with a shared prefix', () => {
    for (const dir of ['meta', 'meta/', './meta']) {
      expect(outs(selectTasks(p, [dir]).tasks).sort()).toEqual(['meta/a.m', 'meta/b.m']);
    }
    const out = selectTasks(p, ['out']);
    expect(outs(out.tasks).sort()).toEqual(['out/a.parse', 'out/a.tok', 'out/b.parse', 'out/b.tok', 'out/corpus.stats']);
    expect(outs(out.tasks).some((o) => o.startsWith('outer/'))).toBe(false);
    expectInPlanOrder(out.tasks);
  });

  it('"." selects everything', () => {
    expect(selectTasks(p, ['.']).tasks).toHaveLength(p.tasks.length);
  });

  it('an unknown target is reported, with no tasks', () => {
    const s = selectTasks(p, ['out/nope.parse']);
    expect(s).toEqual({ tasks: [], unknown: ['out/nope.parse'], sources: [] });
    expect(selectTasks(p, ['ou']).unknown).toEqual(['ou']);
  });

  it('a source target is reported as a source, and known targets are still selected', () => {
    const s = selectTasks(p, ['data/a.txt', 'meta/b.m', 'nowhere/x']);
    expect(s.sources).toEqual(['data/a.txt']);
    expect(s.unknown).toEqual(['nowhere/x']);
    expect(outs(s.tasks)).toEqual(['meta/b.m']);
  });

  function expectInPlanOrder(tasks: Task[]): void {
    const idx = tasks.map((t) => p.tasks.indexOf(t));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
  }
});
