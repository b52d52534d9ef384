// The line, terminated and sentinel framings of one instance: what it learns at start-up
// (the prelude, its answer to the marker record) and reading the one document in flight.

import type { DocumentReader } from './document-reader.js';
import { RecordsReader } from './read-records.js';
import { SentinelReader } from './read-sentinel.js';
import type { LineMatcher, PreparedInput, RecordScanner } from './record-framing.js';
import { LineScanner, scannerFor } from './record-framing.js';
import { StartupReader } from './warm-startup.js';
import type { Framing } from './warm-types.js';

/** What a chunk of stdout (or a new document) completed. */
export type ChannelStep<J> =
  | { kind: 'more' }
  | { kind: 'ready' }
  | { kind: 'startup-failed'; detail: string }
  | { kind: 'done'; job: J; output: Buffer; records: number }
  | { kind: 'misaligned'; job: J; record: number; detail: string }
  /** Output with no document in flight. */
  | { kind: 'stray'; bytes: Buffer };

type RecordsFraming = Exclude<Framing, { kind: 'json' }>;

export class RecordsChannel<J> {
  /** Grows whenever an answer arrives (start-up records, document records or bytes). */
  progress = 0;
  readonly #sentinel: boolean;
  readonly #scanner: RecordScanner;
  readonly #startup: StartupReader;
  readonly #marker: Buffer | null;
  readonly #write: (...parts: Uint8Array[]) => void;
  #learned = false;
  #prelude: Buffer | null = null;
  /** The tool's answer to the marker record, learned at start-up. */
  #markerAnswer: Buffer | null = null;
  #job: J | null = null;
  #records = 0;
  #reader: DocumentReader | null = null;

  constructor(framing: RecordsFraming, prelude: number, outputMatcher: LineMatcher | null, marker: Buffer | null, markerText: string, write: (...parts: Uint8Array[]) => void) {
    this.#sentinel = framing.kind === 'sentinel';
    this.#scanner = framing.kind === 'sentinel' ? new LineScanner() : scannerFor(framing, outputMatcher);
    this.#startup = new StartupReader(prelude, this.#scanner, marker === null ? 'none' : this.#sentinel ? 'repeated' : 'two-records', markerText);
    this.#marker = marker;
    this.#write = write;
  }

  /** Writes the marker twice: two equal answers tell where an answer ends and that it is stable. */
  start(): void {
    const marker = this.#marker;
    if (marker !== null) this.#write(marker, marker);
  }

  /** Ready without reading anything: no prelude and no marker to learn. */
  get immediate(): boolean {
    return this.#startup.immediate;
  }

  get readingPrelude(): boolean {
    return !this.#learned && this.#startup.readingPrelude;
  }

  /** Start-up is past the prelude, waiting for the answer to the marker. */
  get learningMarker(): boolean {
    return !this.#learned && !this.#startup.readingPrelude && !this.#startup.immediate;
  }

  get job(): J | null {
    return this.#job;
  }

  /** 1-based record being answered (0 during start-up). */
  get record(): number {
    return this.#learned || this.#startup.immediate ? (this.#reader?.record ?? 1) : 0;
  }

  /** stdout bytes of the document in flight. */
  get bytes(): number {
    return this.#reader?.bytes ?? 0;
  }

  /** Takes a document; an empty one completes at once with the prelude. */
  begin(job: J, input: PreparedInput): ChannelStep<J> {
    if (input.records === 0) return { kind: 'done', job, output: this.#prelude ?? Buffer.alloc(0), records: 0 };
    this.#job = job;
    this.#records = input.records;
    this.#reader = this.#sentinel
      ? new SentinelReader(this.#markerAnswer as Buffer, this.#prelude)
      : new RecordsReader(this.#scanner, input.records, this.#markerAnswer, this.#prelude);
    const marker = this.#marker;
    this.#write(...input.parts, ...(marker === null ? [] : [marker]));
    return { kind: 'more' };
  }

  feed(chunk: Buffer): ChannelStep<J> {
    if (!this.#learned && !this.#startup.immediate) return this.#feedStartup(chunk);
    const reader = this.#reader;
    const job = this.#job;
    if (reader === null || job === null) return { kind: 'stray', bytes: chunk };
    const before = reader.progress;
    const step = reader.feed(chunk);
    this.progress += reader.progress - before;
    switch (step.kind) {
      case 'more':
        return step;
      case 'done':
        this.take();
        return { kind: 'done', job, output: step.output, records: this.#records };
      case 'misaligned':
        return { kind: 'misaligned', job, record: step.record, detail: step.detail };
    }
  }

  /** Forgets the document in flight (done, or the instance died) and returns it. */
  take(): J | null {
    const job = this.#job;
    this.#job = null;
    this.#reader = null;
    return job;
  }

  #feedStartup(chunk: Buffer): ChannelStep<J> {
    const startup = this.#startup;
    const before = startup.progress;
    const step = startup.feed(chunk);
    this.progress += startup.progress - before;
    switch (step.kind) {
      case 'more':
        return step;
      case 'ready':
        this.#learned = true;
        this.#prelude = step.prelude;
        this.#markerAnswer = step.marker;
        return step;
      case 'failed':
        return { kind: 'startup-failed', detail: step.detail };
    }
  }
}
