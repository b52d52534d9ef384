// Reads a document's answer under the sentinel framing: everything the tool writes before
// its answer to the sentinel line, however many lines or records that is.

import type { DocumentReader, ReadStep } from './document-reader.js';

export class SentinelReader implements DocumentReader {
  progress = 0;
  bytes = 0;
  readonly record = 1;
  /** The tool's answer to the sentinel line, learned at start-up. */
  readonly #answer: Buffer;
  readonly #chunks: Buffer[];
  /** The last answer.length bytes received, to spot the answer across chunk boundaries. */
  #tail: Buffer = Buffer.alloc(0);

  constructor(answer: Buffer, prelude: Buffer | null) {
    this.#answer = answer;
    this.#chunks = prelude === null ? [] : [prelude];
  }

  feed(chunk: Buffer): ReadStep {
    this.bytes += chunk.length;
    this.progress += chunk.length;
    this.#chunks.push(chunk);
    const size = this.#answer.length;
    this.#tail = chunk.length >= size ? chunk.subarray(chunk.length - size) : lastBytes(Buffer.concat([this.#tail, chunk]), size);
    if (this.bytes < size || !this.#tail.equals(this.#answer)) return { kind: 'more' };
    const all = Buffer.concat(this.#chunks);
    return { kind: 'done', output: all.subarray(0, all.length - size) };
  }
}

function lastBytes(buf: Buffer, size: number): Buffer {
  return buf.length <= size ? buf : buf.subarray(buf.length - size);
}
