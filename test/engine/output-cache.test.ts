// The content-addressed output cache: bounded by cacheBytes with LRU eviction; an evicted
// entry is a miss (the tool runs again), never a wrong output.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

function blobBytes(): number {
  const dir = p.path('.pipe/cache/blobs');
  let n = 0;
  for (const sub of readdirSync(dir)) for (const f of readdirSync(join(dir, sub))) n += statSync(join(dir, sub, f)).size;
  return n;
}

describe('output cache', () => {
  it('stays within cacheBytes, evicting least recently used blobs; an evicted entry re-runs the tool', async () => {
    const doc = (i: number): string => `${'abcdefghij'.charAt(i - 1).repeat(300)}\n`;
    p = new Project({
      'pipeline.config.ts': `export default {
  cacheBytes: 1000,
  tools: { tok: { command: ['tok'] } },
  rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
};`,
      'data/a.txt': doc(1),
    });
    // Ten versions of one document: each build caches a ~300-byte output.
    for (let v = 1; v <= 10; v++) {
      p.write('data/a.txt', doc(v));
      expect((await p.build()).summary.ok).toBe(true);
      expect(blobBytes()).toBeLessThanOrEqual(1000);
    }
    p.takeRuns();
    // The most recent version before this one is still cached: restored without a run.
    p.write('data/a.txt', doc(9));
    const back = await p.build();
    expect(back.summary.counts, JSON.stringify(back.events)).toMatchObject({ restored: 1 });
    expect(p.takeRuns()).toEqual([]);
    // The oldest was evicted: the tool runs, and the output is right.
    p.write('data/a.txt', doc(1));
    const r = await p.build();
    expect(r.summary.counts.built).toBe(1);
    expect(p.takeRuns()).toEqual(['tok ']);
    expect(p.read('out/a.tok')).toBe(doc(1));
  });

  it('cacheBytes: 0 disables the cache', async () => {
    p = new Project({
      'pipeline.config.ts': `export default { cacheBytes: 0, tools: { tok: { command: ['tok'] } }, rules: [{ name: 't', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }] };`,
      'data/a.txt': 'x\n',
    });
    await p.build();
    p.write('data/a.txt', 'y\n');
    await p.build();
    p.write('data/a.txt', 'x\n');
    p.takeRuns();
    await p.build();
    expect(p.takeRuns()).toEqual(['tok ']);
  });
});
