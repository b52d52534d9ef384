// Reads a document's answer under line and terminated framings: one output record per input
// record, then the tool's answer to the verifier (the marker record) to prove they lined up.

import type { DocumentReader, ReadStep } from './document-reader.js';
import type { RecordScanner } from './record-framing.js';
import { showBytes } from './warm-failure.js';

export class RecordsReader implements DocumentReader {
  progress = 0;
  bytes = 0;
  readonly #scanner: RecordScanner;
  readonly #records: number;
  /** The tool's answer to the marker record, learned at start-up; null: no verifier. */
  readonly #verifier: Buffer | null;
  #answered = 0;
  #chunks: Buffer[];
  #output: Buffer | null = null;
  #verifyChunks: Buffer[] = [];
  #verifyBytes = 0;

  constructor(scanner: RecordScanner, records: number, verifier: Buffer | null, prelude: Buffer | null) {
    this.#scanner = scanner;
    this.#records = records;
    this.#verifier = verifier;
    this.#chunks = prelude === null ? [] : [prelude];
    scanner.reset();
  }

  get record(): number {
    return Math.min(this.#answered + 1, this.#records);
  }

  feed(chunk: Buffer): ReadStep {
    this.bytes += chunk.length;
    let pos = 0;
    if (this.#output === null) {
      const want = this.#records - this.#answered;
      const found = this.#scanner.scan(chunk, 0, want);
      this.#answered += found;
      this.progress += found;
      if (found < want) {
        this.#chunks.push(chunk);
        return { kind: 'more' };
      }
      pos = this.#scanner.end;
      this.#chunks.push(pos === chunk.length ? chunk : chunk.subarray(0, pos));
      this.#output = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
      this.#chunks = [];
      if (this.#verifier === null) {
        if (pos === chunk.length) return { kind: 'done', output: this.#output };
        return this.#misaligned(
          `after the answer to record ${this.#records} (the last), it wrote ${showBytes(chunk.subarray(pos))}`,
        );
      }
    }
    return this.#verify(chunk, pos, this.#verifier as Buffer, this.#output);
  }

  /** Reads the record after the document's answers; it must be the learned marker answer. */
  #verify(chunk: Buffer, pos: number, verifier: Buffer, output: Buffer): ReadStep {
    if (pos === chunk.length) return { kind: 'more' };
    const found = this.#scanner.scan(chunk, pos, 1);
    const end = found === 1 ? this.#scanner.end : chunk.length;
    const piece = chunk.subarray(pos, end);
    // Compare as bytes arrive: an extra line shows at once, not after a timeout.
    if (this.#verifyBytes + piece.length > verifier.length || !piece.equals(verifier.subarray(this.#verifyBytes, this.#verifyBytes + piece.length))) {
      return this.#misaligned(
        `after the answers to the document's ${this.#records} record(s), the next output was ` +
          `${showBytes(Buffer.concat([...this.#verifyChunks, piece]))} where the answer to the verifier record ` +
          `${showBytes(verifier)} was due`,
      );
    }
    this.#verifyChunks.push(piece);
    this.#verifyBytes += piece.length;
    if (found === 0) return { kind: 'more' };
    if (this.#verifyBytes !== verifier.length) {
      return this.#misaligned(`the answer to the verifier record was ${showBytes(Buffer.concat(this.#verifyChunks))}, expected ${showBytes(verifier)}`);
    }
    if (end < chunk.length) return this.#misaligned(`after the answer to the verifier record, it wrote ${showBytes(chunk.subarray(end))}`);
    return { kind: 'done', output };
  }

  #misaligned(what: string): ReadStep {
    return {
      kind: 'misaligned',
      record: this.#records,
      detail:
        `${what}: the tool wrote more (or fewer) output records than it was sent input records, so its ` +
        'answers do not line up with the document. A warm tool must write exactly one output record per input ' +
        "record on stdout (send logs to stderr); a tool that answers some lines with nothing or several records needs warm: { framing: 'sentinel' }",
    };
  }
}
