// Content digests: every read path (whole small file, slices, async stream) gives the same
// digest as hashing the bytes; a large file costs a slice of memory, not its size, and a file
// over 2 GiB (beyond one Buffer) hashes.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestBytes, digestFields, digestFile, digestFileSync } from '../../src/hash/digest.js';
import { REPO } from '../rig.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'docpipe-digest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

function sparse(name: string, size: number): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return path;
}

describe('digests', () => {
  it.each([0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 5, 9 * MiB])('a file of %i bytes digests like its bytes, by every path', async (size) => {
    const bytes = randomBytes(size);
    const path = join(dir, 'f');
    writeFileSync(path, bytes);
    const want = createHash('sha256').update(bytes).digest('base64url');
    expect(digestBytes(bytes)).toBe(want);
    expect(digestFileSync(path)).toBe(want);
    expect(digestFileSync(path, size)).toBe(want);
    expect(await digestFile(path, size)).toBe(want);
  });

  it('fields are separated: moving a boundary changes the digest', () => {
    expect(digestFields(['ab', 'c'])).not.toBe(digestFields(['a', 'bc']));
    expect(digestFields(['ab', 'c'])).toBe(digestFields(['ab', 'c']));
  });

  it('hashing a 256 MiB file costs slices of memory, not the file', () => {
    const path = sparse('big', 256 * MiB);
    // A fresh process, so that the peak RSS is this hash's and nothing else's.
    const script = `import('${join(REPO, 'dist/hash/digest.js')}').then((m) => {
      const before = process.resourceUsage().maxRSS;
      const d = m.digestFileSync(${JSON.stringify(path)}, ${256 * MiB});
      process.stdout.write(JSON.stringify({ d, grewKiB: process.resourceUsage().maxRSS - before }));
    });`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { d: string; grewKiB: number };
    expect(out.d).toBe(createHash('sha256').update(Buffer.alloc(256 * MiB)).digest('base64url'));
    expect(out.grewKiB).toBeLessThan(64 * 1024);
  });

  it('a file over 2 GiB hashes (a whole-file read cannot hold it)', () => {
    const size = 2 * 1024 * MiB + 1;
    const path = sparse('huge', size);
    const hex = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] ?? '';
    expect(digestFileSync(path, size)).toBe(Buffer.from(hex, 'hex').toString('base64url'));
  }, 120_000);
});
