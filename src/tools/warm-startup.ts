// Reads what a fresh instance prints before its first document: the prelude, then its
// answer to the marker record (the verifier or sentinel it will be compared against).

import type { RecordScanner } from './record-framing.js';
import { splitRepeated } from './sentinel.js';
import { showBytes } from './warm-failure.js';

/**
 * How the marker's answer is learned, from the marker written twice: not at all; as two
 * equal output records (lines, terminated); or as two equal answers of unknown shape (sentinel).
 */
export type MarkerLearning = 'none' | 'two-records' | 'repeated';

/** The most start-up output read while looking for the repeated marker answer. */
const LEARN_LIMIT = 1024 * 1024;

export type StartupStep =
  | { kind: 'more' }
  | { kind: 'ready'; prelude: Buffer | null; marker: Buffer | null }
  | { kind: 'failed'; detail: string };

export class StartupReader {
  /** Grows whenever a prelude record or marker bytes arrive. */
  progress = 0;
  #preludeLeft: number;
  readonly #preludeCount: number;
  readonly #scanner: RecordScanner;
  readonly #learning: MarkerLearning;
  readonly #markerText: string;
  #preludeChunks: Buffer[] = [];
  #prelude: Buffer | null = null;
  #markerChunks: Buffer[] = [];
  #markerBytes = 0;
  #firstAnswer: Buffer | null = null;

  constructor(prelude: number, scanner: RecordScanner, learning: MarkerLearning, markerText: string) {
    this.#preludeLeft = prelude;
    this.#preludeCount = prelude;
    this.#scanner = scanner;
    this.#learning = learning;
    this.#markerText = markerText;
  }

  /** Ready without reading anything: no prelude and no marker to learn. */
  get immediate(): boolean {
    return this.#preludeLeft === 0 && this.#learning === 'none';
  }

  get readingPrelude(): boolean {
    return this.#preludeLeft > 0;
  }

  feed(chunk: Buffer): StartupStep {
    let pos = 0;
    if (this.#preludeLeft > 0) {
      const found = this.#scanner.scan(chunk, 0, this.#preludeLeft);
      this.#preludeLeft -= found;
      this.progress += found;
      if (this.#preludeLeft > 0) {
        this.#preludeChunks.push(chunk);
        return { kind: 'more' };
      }
      pos = this.#scanner.end;
      this.#preludeChunks.push(chunk.subarray(0, pos));
      this.#prelude = Buffer.concat(this.#preludeChunks);
      this.#preludeChunks = [];
      this.#scanner.reset();
    }
    switch (this.#learning) {
      case 'none':
        if (pos === chunk.length) return { kind: 'ready', prelude: this.#prelude, marker: null };
        return this.#failed(`wrote more than its prelude of ${this.#preludeCount} record(s) before any record was sent: ${showBytes(chunk.subarray(pos))}`);
      case 'two-records':
        return this.#twoRecords(chunk, pos);
      case 'repeated':
        return this.#repeated(chunk, pos);
    }
  }

  /** The verifier was written twice: two records, which must be the same answer. */
  #twoRecords(chunk: Buffer, pos: number): StartupStep {
    while (pos < chunk.length) {
      const found = this.#scanner.scan(chunk, pos, 1);
      const end = found === 1 ? this.#scanner.end : chunk.length;
      this.#markerChunks.push(chunk.subarray(pos, end));
      pos = end;
      if (found === 0) return { kind: 'more' };
      this.progress++;
      const record = Buffer.concat(this.#markerChunks);
      this.#markerChunks = [];
      if (this.#firstAnswer === null) {
        this.#firstAnswer = record;
        continue;
      }
      if (!record.equals(this.#firstAnswer)) {
        return this.#failed(
          `answered the verifier record ${JSON.stringify(this.#markerText)}, written twice, with ${showBytes(this.#firstAnswer)} ` +
            `and then ${showBytes(record)}: either it printed more than its prelude of ${this.#preludeCount} record(s), or its ` +
            'answer to a record depends on the records before it (then set warm: { sentinel: false })',
        );
      }
      if (pos < chunk.length) {
        return this.#failed(`wrote more than its prelude and its answers to the verifier record: ${showBytes(chunk.subarray(pos))}`);
      }
      return { kind: 'ready', prelude: this.#prelude, marker: record };
    }
    return { kind: 'more' };
  }

  #repeated(chunk: Buffer, pos: number): StartupStep {
    if (pos === chunk.length) return { kind: 'more' };
    this.#markerChunks.push(chunk.subarray(pos));
    this.#markerBytes += chunk.length - pos;
    this.progress += chunk.length - pos;
    const seen = Buffer.concat(this.#markerChunks);
    this.#markerChunks = [seen];
    const split = splitRepeated(seen);
    if (split !== null) {
      const prelude = this.#prelude === null ? split.prelude : Buffer.concat([this.#prelude, split.prelude]);
      return { kind: 'ready', prelude: prelude.length === 0 ? null : prelude, marker: split.answer };
    }
    if (this.#markerBytes > LEARN_LIMIT) {
      return this.#failed(
        `wrote ${this.#markerBytes} bytes at start-up without answering the sentinel line ${JSON.stringify(this.#markerText)} ` +
          `the same way twice (it was written twice): ${showBytes(seen)}`,
      );
    }
    return { kind: 'more' };
  }

  #failed(detail: string): StartupStep {
    return { kind: 'failed', detail: `${detail}. Check the prelude count, and send start-up messages to stderr.` };
  }
}
