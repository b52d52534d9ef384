// The frames of the `pipe run` protocol, both directions: a 4-byte big-endian length, that
// many bytes of header JSON, then raw body bytes until the writer half-closes (see
// protocol.ts). Loaded by the bundled run client: no imports.
// Both directions: a 4-byte big-endian length, that many bytes of header JSON, then raw
// body bytes until the writer half-closes (see protocol.ts).

/** Bumped on any incompatible change; it is part of every server key, so a new client never talks to an old server. */
export const PROTOCOL_VERSION = 1;

/** Largest header either side accepts. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export function encodeHeader(header: object): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const frame = Buffer.allocUnsafe(4 + json.length);
  frame.writeUInt32BE(json.length, 0);
  json.copy(frame, 4);
  return frame;
}

/**
 * Collects bytes until a whole header has arrived. `push` returns null while incomplete,
 * then `{header, rest}` once (rest: the body bytes that came with it); throws on a bad frame.
 */
export class HeaderReader {
  #chunks: Buffer[] = [];
  #length = 0;
  #done = false;

  push(chunk: Buffer): { header: unknown; rest: Buffer } | null {
    if (this.#done) throw new Error('HeaderReader: header already read');
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length < 4) return null;
    const all = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [all];
    const size = all.readUInt32BE(0);
    if (size > MAX_HEADER_BYTES) throw new Error(`header of ${size} bytes (at most ${MAX_HEADER_BYTES})`);
    if (all.length < 4 + size) return null;
    this.#done = true;
    this.#chunks = [];
    const header: unknown = JSON.parse(all.toString('utf8', 4, 4 + size));
    return { header, rest: all.subarray(4 + size) };
  }
}
