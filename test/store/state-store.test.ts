// The LevelDB state, directly: what is written loads back (from the snapshot and key by key),
// a second opener is told the store is locked, and a write that fails on a full disk leaves a
// store that works again once reopened.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../../src/hash/digest.js';
import type { StatEntry } from '../../src/hash/stat-cache.js';
import { StateStore, type TaskWrite } from '../../src/store/state-store.js';
import { canMount, fill, mountTmpfs, unmount } from '../engine/tmpfs-rig.js';

let pipeDir: string;
const open: StateStore[] = [];
const mounts: string[] = [];
beforeEach(() => {
  pipeDir = join(mkdtempSync(join(tmpdir(), 'docpipe-store-')), '.pipe');
  mkdirSync(pipeDir);
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const m of mounts.splice(0)) unmount(m);
  rmSync(join(pipeDir, '..'), { recursive: true, force: true });
});

async function openStore(waitMs?: number): Promise<StateStore> {
  const r = await StateStore.open(pipeDir, waitMs);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  open.push(r.value);
  return r.value;
}

async function closeStore(s: StateStore): Promise<void> {
  await s.close();
  open.splice(open.indexOf(s), 1);
}

const d = (s: string): Digest => s as Digest;
const entry = (size: number): StatEntry => ({ size, mtimeMs: 1.5, ctimeMs: 2.5, ino: 3, hashedAt: 4, digest: d(`dig${size}`), checked: 0 });
const task = (key: string, out: string): TaskWrite => ({
  record: { key: d(key), outputs: [[out, d(`o-${key}`)]] },
  detail: { rule: 'r', command: ['tok'], tool: { digest: 'td', parts: [{ kind: 'executable', name: 'tok', digest: 'x' }] }, inputs: [['in', d('i')]], builtAt: 5 },
});

describe('StateStore', () => {
  it('loads back what was written, from the snapshot and key by key', async () => {
    let s = await openStore();
    await s.write(new Map([['a.txt', entry(1)], ['b.txt', entry(2)]]), new Map([['out/a', task('k1', 'out/a')]]));
    await s.write(new Map([['b.txt', null]]), new Map());
    expect(await s.getDetail('out/a')).toMatchObject({ rule: 'r', inputs: [['in', 'i']] });
    await closeStore(s);

    // No snapshot written: the per-key values are read.
    s = await openStore();
    let loaded = await s.load();
    expect([...loaded.stats.entries()]).toEqual([['a.txt', entry(1)]]);
    expect([...loaded.records().entries()]).toEqual([['out/a', { key: 'k1', outputs: [['out/a', 'o-k1']] }]]);
    await s.writeSnapshot(loaded.stats, loaded.records(), { world: d('w'), tasks: 1 });
    await closeStore(s);

    s = await openStore();
    loaded = await s.load();
    expect(s.snapshotStale).toBe(false);
    expect(loaded.clean).toEqual({ world: 'w', tasks: 1 });
    expect([...loaded.stats.entries()]).toEqual([['a.txt', entry(1)]]);

    // A write after the snapshot makes it stale: the next load reads the keys again.
    await s.write(new Map([['c.txt', entry(3)]]), new Map([['out/a', null]]));
    await closeStore(s);
    s = await openStore();
    loaded = await s.load();
    expect(loaded.clean).toBeUndefined();
    expect([...loaded.stats.keys()].sort()).toEqual(['a.txt', 'c.txt']);
    expect(loaded.records().size).toBe(0);
    expect(await s.getDetail('out/a')).toBeUndefined();
  });

  it('a second opener waits, then is told the store is locked', async () => {
    await openStore();
    const r = await StateStore.open(pipeDir, 100);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ reason: 'store-locked', dir: join(pipeDir, 'state') });
  });

  it('cache entries and blob bookkeeping round-trip; clearing the cache empties them', async () => {
    const s = await openStore();
    await s.putCacheEntry('key', { outputs: [['out/a', d('b1')]] }, [[d('b1'), { size: 10, lastUsed: 1 }]], 10);
    expect(await s.getCacheEntry('key')).toEqual({ outputs: [['out/a', 'b1']] });
    expect(await s.cacheBytes()).toBe(10);
    await s.touchBlobs([d('b1')], 99);
    expect(await s.loadBlobs()).toEqual([['b1', { size: 10, lastUsed: 99 }]]);
    await s.removeBlobs([d('b1')], 10);
    expect(await s.cacheBytes()).toBe(0);
    await s.clearCache();
    expect(await s.getCacheEntry('key')).toBeUndefined();
  });

  it.skipIf(!canMount)('a write that fails on a full disk rejects; after space is freed and a reopen, writes work', async () => {
    const stateDir = join(pipeDir, 'state');
    mountTmpfs(stateDir, '1m');
    mounts.push(stateDir);
    const s = await openStore();
    await s.write(new Map([['a', entry(1)]]), new Map());
    fill(stateDir);
    const many = new Map<string, StatEntry>();
    for (let i = 0; i < 200; i++) many.set(`file-${i}-${'x'.repeat(40)}`, entry(i));
    await expect(s.write(many, new Map())).rejects.toThrow(/No space left on device/);
    rmSync(join(stateDir, 'filler'));
    expect(await s.reopen()).toEqual({ ok: true, value: undefined });
    await s.write(many, new Map());
    await closeStore(s);
    const again = await openStore();
    expect((await again.load()).stats.size).toBe(201);
  });
});
