// `pipe watch` with real file events: each editor's way of saving triggers exactly one
// rebuild with the final content, a touch runs no tool, a burst ends correct with bounded
// work, the config can change under a watch, and a failing stage is reported, not retried
// until its input changes, and fixed by the next save.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, renameSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pmbConfig, Project } from '../rig.js';
import { disposeWithDaemon, Running, waitFor } from '../daemon/daemon-rig.js';

const projects: Project[] = [];
const watches: Running[] = [];
afterEach(async () => {
  for (const w of watches.splice(0)) await w.stop();
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

function project(files: Record<string, string> = {}): Project {
  const p = new Project({
    'pipeline.config.ts': pmbConfig(),
    'models/parse.model': 'v1\n',
    'data/x.txt': 'The  cat sat .\n',
    'data/y.txt': 'A dog barked .\n',
    ...files,
  });
  projects.push(p);
  return p;
}

/** Starts `pipe watch`, waits for its initial build, and clears the tool log. */
async function watch(p: Project, args: string[] = []): Promise<Running> {
  const w = new Running(p, ['watch', ...args]);
  watches.push(w);
  await w.waitForRebuilds(1, 30_000);
  expect(w.stdout).toContain('pipe: watching');
  p.takeRuns();
  return w;
}

let sentinelTouches = 0;

/**
 * Marks the end of the events so far: touches a source the test is not changing (named in
 * none of `busy`) and waits for the rebuild line that names it, at index `from` or later.
 * Events are handled in order, so every earlier one has then been built (no quiet-spell
 * timing). A touch runs no tool. Returns the index of the sentinel's line.
 */
async function drain(w: Running, p: Project, from: number, busy: string): Promise<number> {
  const sentinel = ['data/x.txt', 'data/y.txt'].find((f) => p.exists(f) && !busy.includes(f));
  if (sentinel === undefined) throw new Error(`no source left to touch as a sentinel; busy: ${busy}`);
  // In the past (a future mtime is never trusted) and new each time, so it is an event.
  const t = new Date(Date.now() - 60_000 - ++sentinelTouches * 1000);
  utimesSync(p.path(sentinel), t, t);
  const found = (): number => w.rebuilds.findIndex((l, i) => i >= from && l.includes(sentinel));
  await waitFor(() => `the rebuild line of the sentinel touch of ${sentinel}:\n${w.stdout}`, () => found() >= 0);
  return found();
}

/**
 * Waits for the next rebuild line, then until the events are drained, and returns the one
 * line that did something. On a loaded machine chokidar may spread one save's events over two
 * batches; the second then finds nothing to do ("up to date"), which is allowed: no stage ever
 * runs twice for one save (the tests count tool runs).
 */
async function exactlyOneMore(w: Running, before: number, p: Project): Promise<string> {
  await w.waitForRebuilds(before + 1);
  const end = await drain(w, p, before + 1, w.rebuilds[before] ?? '');
  const fresh = w.rebuilds.slice(before, end);
  const busy = fresh.filter((l) => !/: up to date \(/.test(l));
  expect(busy.length, w.stdout).toBeLessThanOrEqual(1);
  expect(fresh.length, w.stdout).toBeLessThanOrEqual(2);
  return busy[0] ?? fresh[0] ?? '';
}

const runsOf = (runs: string[], tool: string): number => runs.filter((r) => r.split(' ')[0] === tool).length;

describe('pipe watch', () => {
  it('vim-style saves (probe, backup by rename, new file), twice: one rebuild each, final content', async () => {
    const p = project();
    const w = await watch(p);
    for (const [i, text] of ['The bird flew .', 'The fish swam away .'].entries()) {
      const before = w.rebuilds.length;
      writeFileSync(p.path('data/4913'), '');
      rmSync(p.path('data/4913'));
      writeFileSync(p.path('data/.x.txt.swp'), 'swap');
      renameSync(p.path('data/x.txt'), p.path('data/x.txt~'));
      writeFileSync(p.path('data/x.txt'), `${text}\n`);
      rmSync(p.path('data/x.txt~'));
      const line = await exactlyOneMore(w, before, p);
      expect(line, `save ${i}`).toContain('data/x.txt changed: built out/x.tok, out/x.parse, out/corpus.stats');
      expect(p.read('out/x.parse')).toBe(`v1|${text.split(' ').length}|${text}\n`);
      const runs = p.takeRuns();
      expect([runsOf(runs, 'tok'), runsOf(runs, 'parse'), runsOf(runs, 'stats')]).toEqual([1, 1, 1]);
    }
  });

  it('JetBrains safe-write, VS Code truncate-then-write and sed -i: one rebuild each', async () => {
    const p = project();
    const w = await watch(p);

    let before = w.rebuilds.length;
    writeFileSync(p.path('data/x.txt___jb_tmp___'), 'JetBrains wrote this .\n');
    renameSync(p.path('data/x.txt'), p.path('data/x.txt___jb_old___'));
    renameSync(p.path('data/x.txt___jb_tmp___'), p.path('data/x.txt'));
    rmSync(p.path('data/x.txt___jb_old___'));
    expect(await exactlyOneMore(w, before, p)).toContain('data/x.txt changed: built');
    expect(p.read('out/x.parse')).toBe('v1|4|JetBrains wrote this .\n');
    expect(runsOf(p.takeRuns(), 'tok')).toBe(1);

    before = w.rebuilds.length;
    const fd = openSync(p.path('data/y.txt'), 'w'); // truncate...
    writeSync(fd, 'VS Code saved this .\n'); // ...then write
    closeSync(fd);
    expect(await exactlyOneMore(w, before, p)).toContain('data/y.txt changed: built');
    expect(p.read('out/y.parse')).toBe('v1|5|VS Code saved this .\n');
    expect(runsOf(p.takeRuns(), 'tok')).toBe(1);

    before = w.rebuilds.length;
    execFileSync('sed', ['-i', 's/saved/edited/', p.path('data/y.txt')]);
    expect(await exactlyOneMore(w, before, p)).toContain('data/y.txt changed: built');
    expect(p.read('out/y.parse')).toBe('v1|5|VS Code edited this .\n');
    expect(runsOf(p.takeRuns(), 'tok')).toBe(1);
  });

  it('a touch (or a save of the same bytes) rebuilds nothing', async () => {
    const p = project();
    const w = await watch(p);
    const before = w.rebuilds.length;
    const later = new Date(Date.now() + 5000);
    utimesSync(p.path('data/x.txt'), later, later);
    expect(await exactlyOneMore(w, before, p)).toMatch(/data\/x\.txt changed: up to date/);
    const second = w.rebuilds.length;
    writeFileSync(p.path('data/y.txt'), 'A dog barked .\n');
    expect(await exactlyOneMore(w, second, p)).toMatch(/data\/y\.txt changed: up to date/);
    expect(p.takeRuns()).toEqual([]);
  });

  it('a burst of 300 new and changed files: bounded rebuilds, each stage once, correct outputs', async () => {
    const p = project();
    const w = await watch(p);
    const before = w.rebuilds.length;
    for (let i = 0; i < 300; i++) writeFileSync(p.path(`data/b${i}.txt`), `Burst document ${i} .\n`);
    writeFileSync(p.path('data/x.txt'), 'The cat slept .\n');
    const parsed = ['v1|4|The cat slept .\n', 'v1|4|A dog barked .\n', ...Array.from({ length: 300 }, (_, i) => `v1|4|Burst document ${i} .\n`)].join('');
    const stats = `lines 302 bytes ${Buffer.byteLength(parsed)}\n`;
    // Done when the gather output counts every document (it is written last) and the events are drained.
    await waitFor(() => `the burst to be built:\n${w.stdout}`, () => p.exists('out/corpus.stats') && p.read('out/corpus.stats') === stats, 90_000);
    const end = await drain(w, p, w.rebuilds.length, 'data/x.txt');
    const missing = Array.from({ length: 300 }, (_, i) => `out/b${i}.parse`).filter((o) => !p.exists(o));
    expect(missing, w.stdout).toEqual([]);
    expect(p.read('out/x.parse')).toBe('v1|4|The cat slept .\n');
    const rebuilds = end - before;
    expect(rebuilds).toBeGreaterThanOrEqual(1);
    expect(rebuilds).toBeLessThanOrEqual(6);
    for (let i = 0; i < 300; i += 37) expect(p.read(`out/b${i}.parse`)).toBe(`v1|4|Burst document ${i} .\n`);
    // Each document once, but for the few a batch cut short by MAX_WAIT_MS read mid-write
    // (an empty file just created): their next event rebuilds them with the final content.
    const runs = p.takeRuns();
    expect(runsOf(runs, 'tok')).toBeGreaterThanOrEqual(301);
    expect(runsOf(runs, 'tok')).toBeLessThanOrEqual(311);
    // 600 cold tool runs on a loaded 2-core machine: the test outlives its own bounded wait (90 s).
  }, 150_000);

  it('the config edited while watching: reloaded, and what it changes is rebuilt', async () => {
    const p = project();
    const w = await watch(p);
    const before = w.rebuilds.length;
    p.write('pipeline.config.ts', pmbConfig({ tokArgs: ['-m', 'models/parse.model'] }));
    const line = await exactlyOneMore(w, before, p);
    expect(line).toContain('pipeline.config.ts changed');
    expect(p.read('out/x.tok')).toBe('v1The cat sat .\n');
    expect(runsOf(p.takeRuns(), 'tok')).toBe(2);
    // The new pipeline's sources are watched too.
    const second = w.rebuilds.length;
    writeFileSync(p.path('data/x.txt'), 'The cat hid .\n');
    expect(await exactlyOneMore(w, second, p)).toContain('data/x.txt changed: built');
    expect(p.read('out/x.tok')).toBe('v1The cat hid .\n');
  });

  it('explicit paths: a model file edit under a watched directory rebuilds what uses it', async () => {
    const p = project();
    const w = await watch(p, ['data', 'models']);
    expect(w.stdout).toContain('pipe: watching data/, models/');
    const before = w.rebuilds.length;
    p.write('models/parse.model', 'v2\n');
    expect(await exactlyOneMore(w, before, p)).toContain('models/parse.model changed: built');
    expect(p.read('out/x.parse')).toBe('v2|4|The cat sat .\n');
    const runs = p.takeRuns();
    expect([runsOf(runs, 'tok'), runsOf(runs, 'parse')]).toEqual([0, 2]);
  });

  it('a watch started on a broken config reports it and starts building once the config is fixed', async () => {
    const p = project({ 'pipeline.config.ts': 'export default { rules: [ { name: 1 } ] };\n' });
    const w = new Running(p, ['watch']);
    watches.push(w);
    await w.waitForRebuilds(1, 30_000);
    expect(w.rebuilds[0]).toContain('config error');
    expect(w.stderr).toContain('invalid config');
    let before = w.rebuilds.length;
    p.write('pipeline.config.ts', pmbConfig());
    const line = await exactlyOneMore(w, before, p);
    expect(line).toContain('pipeline.config.ts changed: built');
    expect(p.read('out/x.parse')).toBe('v1|4|The cat sat .\n');
    before = w.rebuilds.length;
    writeFileSync(p.path('data/y.txt'), 'A cat barked .\n');
    expect(await exactlyOneMore(w, before, p)).toContain('data/y.txt changed: built');
  });

  it('a failing stage is reported, not retried while its input is unchanged, and fixed by the next save', async () => {
    const p = project({
      'pipeline.config.ts': `export default {
  rules: [
    { name: 'check', input: 'data/{doc}.txt', output: 'out/{doc}.ok', command: ['badword'] },
    { name: 'count', input: 'out/{doc}.ok', output: 'out/{doc}.n', command: ['wc', '-c'] },
  ],
};
`,
    });
    const w = await watch(p);
    let before = w.rebuilds.length;
    writeFileSync(p.path('data/x.txt'), 'a BAD document\n');
    let line = await exactlyOneMore(w, before, p);
    expect(line).toContain('1 FAILED');
    expect(w.stdout).toContain('FAILED check out/x.ok: exited with status 4');
    expect(w.stdout).toContain('refusing a document that contains BAD');
    expect(runsOf(p.takeRuns(), 'badword')).toBe(1);

    // Another file's save: the failing stage is left alone (its input did not change).
    before = w.rebuilds.length;
    writeFileSync(p.path('data/y.txt'), 'another fine document\n');
    line = await exactlyOneMore(w, before, p);
    expect(line).toContain('built out/y.ok, out/y.n');
    expect(line).toContain('1 failing stage(s) not retried');
    expect(p.takeRuns()).toEqual(['badword ']);

    // Fixing it builds it.
    before = w.rebuilds.length;
    writeFileSync(p.path('data/x.txt'), 'a good document\n');
    line = await exactlyOneMore(w, before, p);
    expect(line).toContain('built out/x.ok, out/x.n');
    expect(line).not.toContain('FAILED');
    expect(p.read('out/x.ok')).toBe('a good document\n');
  });

  it('a deleted source is reported; --prune removes its outputs', async () => {
    const p = project();
    const w = await watch(p, ['--prune']);
    const before = w.rebuilds.length;
    rmSync(p.path('data/y.txt'));
    const line = await exactlyOneMore(w, before, p);
    expect(line).toContain('data/y.txt deleted');
    expect(line).toContain('pruned out/y.parse, out/y.tok');
    expect(p.exists('out/y.tok')).toBe(false);
    expect(p.exists('out/y.parse')).toBe(false);
    expect(p.read('out/corpus.stats')).toBe(`lines 1 bytes ${Buffer.byteLength(p.read('out/x.parse'))}\n`);
  });
});
