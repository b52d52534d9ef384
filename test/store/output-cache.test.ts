// The output cache, directly: a saved output is found by its stage key while its blob exists,
// and the cache stays within its bound by dropping the least recently used blobs.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { digestBytes, type Digest } from '../../src/hash/digest.js';
import { OutputCache } from '../../src/store/output-cache.js';
import { StateStore } from '../../src/store/state-store.js';

let root: string;
let store: StateStore;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'docpipe-cache-'));
  mkdirSync(join(root, '.pipe'));
  const s = await StateStore.open(join(root, '.pipe'));
  if (!s.ok) throw new Error(JSON.stringify(s.error));
  store = s.value;
});
afterEach(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

function output(name: string, content: string): { abs: string; rel: string; digest: Digest; size: number } {
  const abs = join(root, name);
  writeFileSync(abs, content);
  return { abs, rel: name, digest: digestBytes(content), size: statSync(abs).size };
}

it('finds a saved output by stage key, and misses once its blob is gone', async () => {
  const cache = new OutputCache(store, join(root, '.pipe'), 1024 * 1024);
  const o = output('a.out', 'alpha');
  await cache.save('k1', [o]);
  expect(await cache.lookup('k1')).toEqual({ outputs: [['a.out', o.digest]] });
  expect(existsSync(cache.blobPath(o.digest))).toBe(true);
  expect(await cache.lookup('k2')).toBeUndefined();
  rmSync(cache.blobPath(o.digest));
  expect(await cache.lookup('k1')).toBeUndefined();
});

it('evicts the least recently used blobs beyond its bound', async () => {
  const cache = new OutputCache(store, join(root, '.pipe'), 250);
  const a = output('a.out', 'a'.repeat(100));
  const b = output('b.out', 'b'.repeat(100));
  await cache.save('ka', [a]);
  await cache.save('kb', [b]);
  // ka used after kb (a time clearly later than both saves, so the order cannot tie).
  await store.touchBlobs([a.digest], Date.now() + 60_000);
  const c = output('c.out', 'c'.repeat(100));
  await cache.save('kc', [c]); // 300 bytes > 250: shrink to 80% (200) by dropping the oldest use, b
  expect(await cache.lookup('kb')).toBeUndefined();
  expect(await cache.lookup('ka')).toBeDefined();
  expect(await cache.lookup('kc')).toBeDefined();
  expect(await store.cacheBytes()).toBe(200);
});
