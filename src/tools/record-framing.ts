// Splits a document into input records and finds where output records end (viasock framing).
//
// Hot path: a document of a million lines must cost well under a microsecond per record
// here, so everything scans bytes with Buffer#indexOf (memchr) and never splits strings.
// Lines are only decoded when a `terminated` framing needs a general regex tested.

import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

const NL = 0x0a;
const NEWLINE = new Uint8Array([NL]);

/** The framings that carry records as lines on stdin/stdout (everything but JSON). */
export type RecordFraming =
  | { kind: 'lines' }
  | { kind: 'sentinel' }
  | { kind: 'terminated'; input: RegExp; output: RegExp };

/** Tells whether the line `buf[start, end)` (without its '\n') ends a record. */
export type LineMatcher = (buf: Buffer, start: number, end: number) => boolean;

/**
 * A matcher for a terminator regex. `/^$/` (blank-line separated blocks, by far the most
 * common) is answered from the line length alone; anything else decodes the line as UTF-8.
 * `g` and `y` flags are dropped: they make `test` stateful, which would skip terminators.
 */
export function lineMatcher(re: RegExp): LineMatcher {
  if (re.source === '^$') {
    return (_buf, start, end) => start === end;
  }
  const stateless = re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
  return (buf, start, end) => stateless.test(buf.toString('utf8', start, end));
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A document cut into records, ready to be written to a warm tool's stdin. */
export interface PreparedInput {
  /** How many records the tool will be sent, so how many output records to wait for. */
  readonly records: number;
  /** The bytes to write, in order: the document itself, then whatever completes its last record. */
  readonly parts: readonly Uint8Array[];
  /** The document's last line had no final '\n' (one was added for the tool). */
  readonly unterminated: boolean;
}

/**
 * Counts the records of a document and completes an unterminated last record so the tool
 * sees where it ends: a missing final '\n' is added, and under `terminated` framing a
 * missing terminator line is added too (the last terminator line the document used, or an
 * empty line when the regex accepts one). Fails only when no terminator line is known.
 */
export function prepareInput(
  framing: RecordFraming,
  inputMatcher: LineMatcher | null,
  input: Uint8Array,
): Result<PreparedInput, string> {
  const buf = asBuffer(input);
  const length = buf.length;
  if (length === 0) return ok({ records: 0, parts: [], unterminated: false });
  const unterminatedLine = buf[length - 1] !== NL;

  if (framing.kind === 'lines' || framing.kind === 'sentinel') {
    let records = 0;
    let at = buf.indexOf(NL);
    while (at !== -1) {
      records++;
      at = buf.indexOf(NL, at + 1);
    }
    if (!unterminatedLine) return ok({ records, parts: [buf], unterminated: false });
    return ok({ records: records + 1, parts: [buf, NEWLINE], unterminated: true });
  }

  if (inputMatcher === null) throw new Error('prepareInput: terminated framing needs an input matcher');
  let records = 0;
  let lineStart = 0;
  let runOpen = false; // lines seen since the last terminator
  let lastTerminator: Buffer | null = null;
  while (lineStart < length) {
    let lineEnd = buf.indexOf(NL, lineStart);
    if (lineEnd === -1) lineEnd = length; // final line without '\n'
    if (inputMatcher(buf, lineStart, lineEnd)) {
      records++;
      runOpen = false;
      lastTerminator = buf.subarray(lineStart, lineEnd);
    } else {
      runOpen = true;
    }
    lineStart = lineEnd + 1;
  }
  const parts: Uint8Array[] = [buf];
  if (unterminatedLine) parts.push(NEWLINE);
  // Only the lines and sentinel framings restore a missing final newline (see final-newline.ts).
  if (!runOpen) return ok({ records, parts, unterminated: false });

  // The document ends inside a record: send a terminator line the tool will recognise.
  const empty = Buffer.alloc(0);
  const candidates = lastTerminator === null ? [empty] : [lastTerminator, empty];
  for (const candidate of candidates) {
    const line = Buffer.concat([candidate, NEWLINE]);
    if (inputMatcher(line, 0, candidate.length)) {
      parts.push(line);
      return ok({ records: records + 1, parts, unterminated: false });
    }
  }
  return err(
    `the document does not end with a line matching the input terminator ${String(framing.input)}, ` +
      'and no such line is known to complete its last record; end the document with a terminator line',
  );
}

/**
 * Finds output record ends in a stream of stdout chunks. One scanner lives as long as its
 * tool instance, because a record's output may straddle chunks.
 */
export interface RecordScanner {
  /**
   * Scans `chunk` from `from`, stopping after `want` record ends. Returns how many ended;
   * `end` is then the offset just past the last one (or `from` when none ended).
   */
  scan(chunk: Buffer, from: number, want: number): number;
  end: number;
  /** Forgets a partial line (a new document begins on a record boundary). */
  reset(): void;
}

/** One line is one record. Stateless: only the '\n' matters. */
export class LineScanner implements RecordScanner {
  end = 0;
  scan(chunk: Buffer, from: number, want: number): number {
    let found = 0;
    let pos = from;
    while (found < want) {
      const at = chunk.indexOf(NL, pos);
      if (at === -1) break;
      pos = at + 1;
      found++;
    }
    this.end = pos;
    return found;
  }
  reset(): void {}
}

/** A record ends with a line matching a terminator; lines may straddle chunks. */
export class TerminatedScanner implements RecordScanner {
  end = 0;
  readonly #matches: LineMatcher;
  /** Earlier pieces of the line being read, when it began in an earlier chunk. */
  #carry: Buffer[] = [];

  constructor(matches: LineMatcher) {
    this.#matches = matches;
  }

  scan(chunk: Buffer, from: number, want: number): number {
    let found = 0;
    let pos = from;
    this.end = from;
    while (found < want) {
      const at = chunk.indexOf(NL, pos);
      if (at === -1) {
        if (pos < chunk.length) this.#carry.push(chunk.subarray(pos));
        break;
      }
      let matched: boolean;
      if (this.#carry.length === 0) {
        matched = this.#matches(chunk, pos, at);
      } else {
        this.#carry.push(chunk.subarray(pos, at));
        const line = Buffer.concat(this.#carry);
        this.#carry.length = 0;
        matched = this.#matches(line, 0, line.length);
      }
      pos = at + 1;
      if (matched) {
        found++;
        this.end = pos;
      }
    }
    return found;
  }

  reset(): void {
    this.#carry.length = 0;
  }
}

export function scannerFor(framing: RecordFraming, outputMatcher: LineMatcher | null): RecordScanner {
  switch (framing.kind) {
    case 'lines':
    case 'sentinel':
      return new LineScanner();
    case 'terminated':
      if (outputMatcher === null) throw new Error('scannerFor: terminated framing needs an output matcher');
      return new TerminatedScanner(outputMatcher);
  }
}
