// Content digests. SHA-256 from node:crypto: measured at ~0.4 µs for a small buffer via
// crypto.hash, so a native xxhash dependency would not pay for itself (see BENCHMARKS.md).
import { createHash, hash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';

declare const digestBrand: unique symbol;
/** SHA-256 of some content, base64url (43 characters: a third shorter than hex to store and compare). Branded so a path can never be compared with a digest. */
export type Digest = string & { readonly [digestBrand]: true };

export function digestBytes(data: Uint8Array | string): Digest {
  return hash('sha256', data, 'base64url') as Digest;
}

/** Files above this size are hashed by streaming so a huge input cannot stall the loop. */
const SYNC_LIMIT = 8 * 1024 * 1024;

/** Reads of one slice: a file of any size costs this much memory, not its size. */
const SLICE = 1024 * 1024;
let slice: Buffer | undefined;

/**
 * Digest of a file's content, read in slices. A file known (`size`, from a stat) to fit in one
 * slice is read whole: one call, the no-op build's hot path for small sources.
 */
export function digestFileSync(path: string, size?: number): Digest {
  if (size !== undefined && size <= SLICE) return digestBytes(readFileSync(path));
  const fd = openSync(path, 'r');
  try {
    const h = createHash('sha256');
    slice ??= Buffer.allocUnsafe(SLICE);
    for (;;) {
      const n = readSync(fd, slice, 0, SLICE, null);
      if (n === 0) break;
      h.update(n === SLICE ? slice : slice.subarray(0, n));
    }
    return h.digest('base64url') as Digest;
  } finally {
    closeSync(fd);
  }
}

export async function digestFile(path: string, size: number): Promise<Digest> {
  if (size <= SYNC_LIMIT) return digestFileSync(path, size);
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('base64url') as Digest;
}

/** Digest of an ordered list of fields; the separator cannot occur inside the fields we use. */
export function digestFields(fields: readonly string[]): Digest {
  return digestBytes(fields.join('\u0000'));
}
