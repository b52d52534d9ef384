// Freshness by content: what re-runs after each kind of change, counted from the fixture
// tools' own invocation logs.
import { renameSync, utimesSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pmbConfig, Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

function setup(): Project {
  p = new Project({
    'pipeline.config.ts': pmbConfig(),
    'models/parse.model': 'v1\n',
    'data/a.txt': 'The  cat sat .\nOn the mat .\n',
    'data/b.txt': 'A dog barked .\n',
  });
  return p;
}

/** The project built once, with the tool-run log cleared. */
async function built(): Promise<Project> {
  setup();
  await p.build();
  p.takeRuns();
  return p;
}

const kinds = (runs: string[]): string[] => runs.map((r) => r.split(' ')[0] ?? '').sort();

describe('freshness', () => {
  it('builds everything once, then nothing', async () => {
    setup();
    const first = await p.build();
    expect(first.summary.ok).toBe(true);
    expect(kinds(p.takeRuns())).toEqual(['parse', 'parse', 'stats', 'tok', 'tok']);
    expect(p.read('out/a.tok')).toBe('The cat sat .\nOn the mat .\n');
    expect(p.read('out/a.parse')).toBe('v1|4|The cat sat .\nv1|4|On the mat .\n');
    expect(p.read('out/corpus.stats')).toBe('lines 3 bytes 57\n');
    const second = await p.build();
    expect(second.summary.counts.fresh).toBe(5);
    expect(p.takeRuns()).toEqual([]);
  });

  it('early cutoff: a whitespace-only edit re-runs tokenize and not parse', async () => {
    await built();
    p.write('data/a.txt', 'The   cat  sat .\nOn the     mat .\n');
    const r = await p.build();
    expect(r.summary.ok).toBe(true);
    expect(p.takeRuns()).toEqual(['tok ']);
    const fin = r.events.find((e) => e.type === 'finish');
    expect(fin).toMatchObject({ rule: 'tokenize', unchanged: true });
  });

  it('a content edit re-runs exactly its chain and the gather', async () => {
    await built();
    p.write('data/b.txt', 'A dog barked loudly .\n');
    await p.build();
    expect(kinds(p.takeRuns())).toEqual(['parse', 'stats', 'tok']);
    expect(p.read('out/b.parse')).toBe('v1|5|A dog barked loudly .\n');
  });

  it('touch without change re-runs nothing', async () => {
    await built();
    const future = new Date(Date.now() + 60_000);
    utimesSync(p.path('data/a.txt'), future, future);
    utimesSync(p.path('models/parse.model'), future, future);
    const r = await p.build();
    expect(p.takeRuns()).toEqual([]);
    expect(r.summary.counts.fresh).toBe(5);
  });

  it('a model file change re-runs exactly the stages of the tool that uses it', async () => {
    await built();
    p.write('models/parse.model', 'v2\n');
    await p.build();
    expect(kinds(p.takeRuns())).toEqual(['parse', 'parse', 'stats']);
    expect(p.read('out/b.parse')).toBe('v2|4|A dog barked .\n');
  });

  it('a command-line change re-runs that rule; identical output cuts off the rest', async () => {
    await built();
    p.write('pipeline.config.ts', pmbConfig({ tokArgs: ['--unused-flag'] }));
    await p.build();
    expect(kinds(p.takeRuns())).toEqual(['tok', 'tok']);
  });

  it('an output edited or deleted by hand is rebuilt', async () => {
    await built();
    // An edit in place of a freshly built output also changes its cached blob (a hard
    // link): the restore sees the wrong digest and runs the tool. Never a wrong output.
    p.write('out/a.parse', 'vandalised in place\n');
    await p.build();
    expect(p.takeRuns()).toEqual(['parse -m models/parse.model']);
    expect(p.read('out/a.parse')).toBe('v1|4|The cat sat .\nv1|4|On the mat .\n');
    // An editor's atomic save (new file renamed over) and a deletion leave the cache
    // intact: restored (same key), no tool runs.
    p.write('out/a.parse.new', 'vandalised\n');
    renameSync(p.path('out/a.parse.new'), p.path('out/a.parse'));
    p.remove('out/b.tok');
    await p.build();
    expect(p.takeRuns()).toEqual([]);
    expect(p.read('out/a.parse')).toBe('v1|4|The cat sat .\nv1|4|On the mat .\n');
    expect(p.read('out/b.tok')).toBe('A dog barked .\n');
    // A restored output is a copy: editing it in place leaves the cache intact.
    p.write('out/a.parse', 'vandalised again\n');
    await p.build();
    expect(p.takeRuns()).toEqual([]);
    expect(p.read('out/a.parse')).toBe('v1|4|The cat sat .\nv1|4|On the mat .\n');
    // --no-cache: the tool runs.
    p.write('out/a.parse', 'and again\n');
    await p.build({ useCache: false });
    expect(p.takeRuns()).toEqual(['parse -m models/parse.model']);
  });

  it('reverting an input restores earlier outputs from the cache without running the tool', async () => {
    setup();
    await p.build();
    p.write('data/a.txt', 'Changed text .\n');
    await p.build();
    p.takeRuns();
    p.write('data/a.txt', 'The  cat sat .\nOn the mat .\n');
    const r = await p.build();
    expect(p.takeRuns()).toEqual([]);
    expect(r.summary.counts.restored).toBe(3);
    expect(p.read('out/a.parse')).toBe('v1|4|The cat sat .\nv1|4|On the mat .\n');
  });

  it('--no-cache runs the tool instead of restoring', async () => {
    setup();
    await p.build();
    p.write('data/a.txt', 'Changed text .\n');
    await p.build();
    p.takeRuns();
    p.write('data/a.txt', 'The  cat sat .\nOn the mat .\n');
    await p.build({ useCache: false });
    expect(kinds(p.takeRuns())).toEqual(['parse', 'stats', 'tok']);
  });

  it('declared env variables are part of the tool identity', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { tok: { command: ['tok'], env: ['DOCPIPE_TEST_LANG'] } },
  rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
};`,
      'data/a.txt': 'x y\n',
    });
    process.env['DOCPIPE_TEST_LANG'] = 'en';
    try {
      await p.build();
      await p.build();
      expect(p.takeRuns()).toEqual(['tok ']);
      process.env['DOCPIPE_TEST_LANG'] = 'de';
      await p.build();
      expect(p.takeRuns()).toEqual(['tok ']);
    } finally {
      delete process.env['DOCPIPE_TEST_LANG'];
    }
  });

  it('an edit to the tool executable itself re-runs its stages', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { t: { command: ['bin/t'] } },
  rules: [{ name: 'run', input: 'data/{doc}.txt', output: 'out/{doc}.o', tool: 't' }],
};`,
      'data/a.txt': 'x\n',
    });
    p.write('bin/t', '#!/bin/sh\nsed s/x/y/\n', 0o755);
    await p.build();
    expect(p.read('out/a.o')).toBe('y\n');
    p.write('bin/t', '#!/bin/sh\nsed s/x/z/\n', 0o755);
    await p.build();
    expect(p.read('out/a.o')).toBe('z\n');
  });

  it('multi-output rules write every output and rebuild when one is deleted', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  rules: [{ name: 'split', input: 'data/{doc}.txt', output: ['out/{doc}.odd', 'out/{doc}.even'], command: ['split2', '{input}', '{output[0]}', '{output[1]}'] }],
};`,
      'data/a.txt': '1\n2\n3\n4\n5\n',
    });
    await p.build();
    expect(p.read('out/a.odd')).toBe('1\n3\n5\n');
    expect(p.read('out/a.even')).toBe('2\n4\n');
    p.takeRuns();
    p.remove('out/a.even');
    await p.build({ useCache: false });
    expect(p.takeRuns()).toHaveLength(1);
    expect(p.read('out/a.even')).toBe('2\n4\n');
  });
});
