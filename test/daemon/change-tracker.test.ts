// The daemon's change tracker on its own, with real directories, real inotify events and a
// real stat cache: what it trusts, what it makes the next build stat again, and when it
// gives up and has everything stat'ed (new directory, replaced directory, distrust, disabled).
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChangeTracker, settle } from '../../src/daemon/change-tracker.js';
import { StatCache } from '../../src/hash/stat-cache.js';
import { Project } from '../rig.js';
import { waitFor } from './daemon-rig.js';

let p: Project;
let heard: string[];
let tracker: ChangeTracker | undefined;
beforeEach(() => {
  p = new Project({ 'a/x.txt': 'x\n', 'a/y.txt': 'y\n', 'b/z.txt': 'z\n', 'outside.txt': 'o\n' });
  heard = [];
});
afterEach(() => {
  tracker?.close();
  p.dispose();
});

/** A stat cache that knows `keys`, each checked in the current generation. */
function known(stats: StatCache, keys: string[]): void {
  for (const k of keys) expect(stats.state(p.path(k), k), k).toBeDefined();
}

const checked = (stats: StatCache, key: string): number | undefined => stats.entries.get(key)?.checked;

/** A tracker that has watched `keys`' directories through one trusted round. */
function trusted(keys: string[], opts: { disabled?: boolean } = {}): { t: ChangeTracker; stats: StatCache } {
  const stats = new StatCache(new Map());
  const t = new ChangeTracker(p.root, (k) => heard.push(k), opts);
  tracker = t;
  expect(t.prepare(stats).all).toBe(true); // nothing watched yet
  known(stats, keys);
  t.sync(stats, []);
  return { t, stats };
}

async function hear(key: string): Promise<void> {
  await waitFor(() => `an event for ${key}; heard ${JSON.stringify(heard)}`, () => heard.includes(key));
  await settle();
}

describe('ChangeTracker', () => {
  it('watches the directories of known files; a round after the first watch trusts them and forgets only what changed', async () => {
    const { t, stats } = trusted(['a/x.txt', 'a/y.txt', 'b/z.txt']);
    expect(t.directories.sort()).toEqual(['a', 'b']);
    // Their files were checked before anyone listened: the next round stats everything.
    expect(t.prepare(stats).all).toBe(true);
    known(stats, ['a/x.txt', 'a/y.txt', 'b/z.txt']);
    t.sync(stats, []);
    const quiet = t.prepare(stats);
    expect(quiet).toEqual({ all: false, renamed: new Set() });
    const gen = checked(stats, 'a/y.txt');
    expect(gen).toBeGreaterThan(0);

    writeFileSync(p.path('a/x.txt'), 'x changed\n');
    await hear('a/x.txt');
    const r = t.prepare(stats);
    expect(r.all).toBe(false);
    expect(checked(stats, 'a/x.txt')).toBe(0); // stat'ed again by the next build
    expect(checked(stats, 'a/y.txt')).toBe(gen); // trusted
    expect(checked(stats, 'b/z.txt')).toBe(gen);
  });

  it('names files that appear, disappear or move in `renamed`', async () => {
    const { t, stats } = trusted(['a/x.txt', 'a/y.txt']);
    t.prepare(stats);
    t.sync(stats, []);
    writeFileSync(p.path('a/new.txt'), 'new\n');
    rmSync(p.path('a/y.txt'));
    await hear('a/new.txt');
    await hear('a/y.txt');
    const r = t.prepare(stats);
    expect(r.all).toBe(false);
    expect([...r.renamed].sort()).toEqual(['a/new.txt', 'a/y.txt']);
  });

  it('a directory removed and re-created (rm -rf out/) makes the next round stat everything, and is watched again', async () => {
    const { t, stats } = trusted(['a/x.txt', 'b/z.txt']);
    t.prepare(stats);
    t.sync(stats, []);
    expect(t.prepare(stats).all).toBe(false);
    rmSync(p.path('b'), { recursive: true });
    mkdirSync(p.path('b')); // often with the inode the removed directory had
    writeFileSync(p.path('b/z.txt'), 'z again\n');
    await hear('b/b'); // inotify names the removed directory itself
    expect(t.prepare(stats).all).toBe(true);
    known(stats, ['a/x.txt', 'b/z.txt']);
    t.sync(stats, []);
    expect(t.watching('b')).toBe(true);
    // The new directory is heard: an edit in it is not missed.
    t.prepare(stats);
    t.sync(stats, []);
    expect(t.prepare(stats).all).toBe(false);
    heard = [];
    writeFileSync(p.path('b/z.txt'), 'z edited\n');
    await hear('b/z.txt');
    expect(t.prepare(stats).all).toBe(false);
    expect(checked(stats, 'b/z.txt')).toBe(0);
  });

  it('a newly watched extra directory (a rule source) makes the next round stat everything', () => {
    const { t, stats } = trusted(['a/x.txt']);
    t.prepare(stats);
    t.sync(stats, []);
    expect(t.prepare(stats).all).toBe(false);
    mkdirSync(p.path('src'));
    t.sync(stats, ['src']);
    expect(t.watching('src')).toBe(true);
    expect(t.prepare(stats).all).toBe(true);
  });

  it('symbolic links and files outside the root are external: forgotten every round', () => {
    symlinkSync(p.path('a/x.txt'), p.path('a/link.txt'));
    const outside = `${p.root}-outside.txt`;
    writeFileSync(outside, 'out\n');
    try {
      const { t, stats } = trusted(['a/x.txt', 'a/link.txt']);
      expect(stats.state(outside, outside)).toBeDefined();
      t.prepare(stats);
      known(stats, ['a/x.txt', 'a/link.txt']);
      expect(stats.state(outside, outside)).toBeDefined();
      t.sync(stats, []);
      expect(t.prepare(stats).all).toBe(false);
      expect(checked(stats, 'a/link.txt')).toBe(0);
      expect(checked(stats, outside)).toBe(0);
      expect(checked(stats, 'a/x.txt')).toBeGreaterThan(0);
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it('ignores .pipe/ (its own state and logs), reports other paths to its listener', async () => {
    mkdirSync(p.path('.pipe'));
    const { t, stats } = trusted(['outside.txt']);
    expect(t.directories).toEqual(['']);
    t.prepare(stats);
    t.sync(stats, []);
    writeFileSync(p.path('.pipe/noise'), 'n\n');
    rmSync(p.path('.pipe'), { recursive: true });
    writeFileSync(p.path('outside.txt'), 'changed\n');
    await hear('outside.txt');
    expect(heard.filter((k) => k.startsWith('.pipe'))).toEqual([]);
  });

  it('distrust() and a disabled tracker (--stat-all) make every round stat everything', () => {
    const { t, stats } = trusted(['a/x.txt']);
    t.prepare(stats);
    t.sync(stats, []);
    expect(t.prepare(stats).all).toBe(false);
    t.distrust();
    expect(t.prepare(stats).all).toBe(true);
    t.close();

    const off = trusted(['a/x.txt'], { disabled: true });
    expect(off.t.directories).toEqual([]);
    expect(off.t.prepare(off.stats).all).toBe(true);
    expect(off.t.prepare(off.stats).all).toBe(true);
  });
});
