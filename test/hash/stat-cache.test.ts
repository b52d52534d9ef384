// The stat cache and the one stat check behind it: an unchanged stat is trusted (the file is
// not read), any change of size, mtime, ctime or inode is not, and a stat recorded within the
// racy window of its hashing is never trusted.
import { mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestBytes, type Digest } from '../../src/hash/digest.js';
import { isRacy, RACY_WINDOW_MS, sameStamp, stampOf, unchangedSince } from '../../src/hash/file-stamp.js';
import { StatCache, type StatEntry } from '../../src/hash/stat-cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'docpipe-stat-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BOGUS = 'not-the-content-digest' as Digest;

/** A cache entry for `path` as it is now, claiming a digest and a hashing time. */
function entryFor(path: string, hashedAt: number, digest: Digest = BOGUS): StatEntry {
  return { ...stampOf(statSync(path)), hashedAt, digest, checked: 0 };
}

describe('file-stamp', () => {
  it('compares size, mtime, ctime and inode', () => {
    const a = { size: 1, mtimeMs: 10, ctimeMs: 10, ino: 7 };
    expect(sameStamp(a, { ...a })).toBe(true);
    for (const k of ['size', 'mtimeMs', 'ctimeMs', 'ino'] as const) expect(sameStamp(a, { ...a, [k]: a[k] + 1 })).toBe(false);
  });

  it('a stamp within the racy window of its hashing is not trusted', () => {
    const s = { size: 1, mtimeMs: 1000, ctimeMs: 1000, ino: 7 };
    expect(isRacy(s, 1000 + RACY_WINDOW_MS)).toBe(true);
    expect(isRacy(s, 1001 + RACY_WINDOW_MS)).toBe(false);
    expect(isRacy({ ...s, ctimeMs: 2990 }, 3000)).toBe(true);
    expect(unchangedSince(s, 5000, { ...s })).toBe(true);
    expect(unchangedSince(s, 1010, { ...s })).toBe(false);
  });
});

describe('StatCache', () => {
  it('trusts an unchanged stat hashed long after its mtime: the file is not read again', () => {
    const path = join(dir, 'a');
    writeFileSync(path, 'content');
    const cache = new StatCache(new Map([['a', entryFor(path, Date.now() + 60_000)]]));
    expect(cache.state(path, 'a')?.digest).toBe(BOGUS);
  });

  it('re-hashes a file whose stat was recorded within the racy window', () => {
    const path = join(dir, 'a');
    writeFileSync(path, 'content');
    const st = statSync(path);
    const cache = new StatCache(new Map([['a', entryFor(path, st.mtimeMs + RACY_WINDOW_MS / 2)]]));
    expect(cache.state(path, 'a')?.digest).toBe(digestBytes('content'));
  });

  it('re-hashes on a changed mtime, size or inode, and forgets a deleted file', () => {
    const path = join(dir, 'a');
    writeFileSync(path, 'one');
    const later = Date.now() + 60_000;
    const cache = new StatCache(new Map([['a', entryFor(path, later)]]));

    utimesSync(path, new Date(), new Date(Date.now() - 5000));
    cache.newGeneration();
    expect(cache.state(path, 'a')?.digest).toBe(digestBytes('one'));

    cache.entries.set('a', entryFor(path, later));
    writeFileSync(join(dir, 'b'), 'two');
    renameSync(join(dir, 'b'), path); // new inode
    cache.newGeneration();
    expect(cache.state(path, 'a')?.digest).toBe(digestBytes('two'));

    rmSync(path);
    cache.newGeneration();
    expect(cache.state(path, 'a')).toBeUndefined();
    expect(cache.entries.has('a')).toBe(false);
    expect(cache.takeDirty().get('a')).toBeNull();
  });

  it('within one generation a file is stat-ed once; verifyAll lists what changed', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, 'a');
    writeFileSync(b, 'b');
    const later = Date.now() + 60_000;
    const cache = new StatCache(new Map([
      [a, entryFor(a, later, digestBytes('a'))],
      [b, entryFor(b, later, digestBytes('b'))],
    ]));
    writeFileSync(b, 'bb');
    expect(cache.verifyAll(dir)).toEqual([b]);
    // a was checked by verifyAll in this generation: even a change now is not seen until the next.
    writeFileSync(a, 'aa');
    expect(cache.state(a)?.digest).toBe(digestBytes('a'));
    cache.newGeneration();
    expect(cache.state(a)?.digest).toBe(digestBytes('aa'));
  });

  it('entries whose write failed are put back as dirty, behind newer changes', () => {
    const path = join(dir, 'a');
    writeFileSync(path, 'x');
    const cache = new StatCache(new Map());
    const e = cache.state(path, 'a');
    const taken = cache.takeDirty();
    expect([...taken.keys()]).toEqual(['a']);
    cache.restoreDirty(taken);
    expect(cache.takeDirty().get('a')).toBe(e);
  });
});
