// Record counting and completion of documents, and record ends found across chunk splits.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LineScanner,
  TerminatedScanner,
  lineMatcher,
  prepareInput,
  type RecordScanner,
} from '../../src/tools/record-framing.js';

const enc = (text: string): Buffer => Buffer.from(text, 'utf8');
const joined = (parts: readonly Uint8Array[]): string => Buffer.concat(parts).toString('utf8');

describe('prepareInput, lines', () => {
  const lines = { kind: 'lines' } as const;
  it.each([
    ['', 0, ''],
    ['a\n', 1, 'a\n'],
    ['a', 1, 'a\n'],
    ['a\nb', 2, 'a\nb\n'],
    ['\n\n', 2, '\n\n'],
    ['a\r\nb\r\n', 2, 'a\r\nb\r\n'],
  ])('%j is %i record(s), sent as %j', (document, records, sent) => {
    const prepared = prepareInput(lines, null, enc(document));
    expect(prepared.ok && prepared.value.records).toBe(records);
    expect(prepared.ok && joined(prepared.value.parts)).toBe(sent);
  });

  it('does not copy the document', () => {
    const document = enc('a\nb\n');
    const prepared = prepareInput(lines, null, document);
    expect(prepared.ok && prepared.value.parts[0]).toBe(document);
  });
});

describe('prepareInput, terminated', () => {
  const blank = { kind: 'terminated', input: /^$/, output: /^$/ } as const;
  const dot = { kind: 'terminated', input: /^\.$/, output: /^$/ } as const;
  it.each([
    ['', 0, ''],
    ['a\nb\n\n', 1, 'a\nb\n\n'],
    ['a\nb\n\nc', 2, 'a\nb\n\nc\n\n'],
    ['a\nb\n\nc\n', 2, 'a\nb\n\nc\n\n'],
    ['\n\n', 2, '\n\n'],
    ['a\n\n\n', 2, 'a\n\n\n'],
  ])('blank lines: %j is %i record(s), sent as %j', (document, records, sent) => {
    const prepared = prepareInput(blank, lineMatcher(blank.input), enc(document));
    expect(prepared.ok && prepared.value.records).toBe(records);
    expect(prepared.ok && joined(prepared.value.parts)).toBe(sent);
  });

  it('completes the last record with the terminator line the document used', () => {
    const prepared = prepareInput(dot, lineMatcher(dot.input), enc('a\n.\nb'));
    expect(prepared.ok && prepared.value.records).toBe(2);
    expect(prepared.ok && joined(prepared.value.parts)).toBe('a\n.\nb\n.\n');
  });

  it('a final terminator without newline ends the record', () => {
    const prepared = prepareInput(dot, lineMatcher(dot.input), enc('a\n.'));
    expect(prepared.ok && joined(prepared.value.parts)).toBe('a\n.\n');
    expect(prepared.ok && prepared.value.records).toBe(1);
  });

  it('fails when no terminator line is known', () => {
    const prepared = prepareInput(dot, lineMatcher(dot.input), enc('a\nb\n'));
    expect(prepared.ok).toBe(false);
    expect(!prepared.ok && prepared.error).toContain('/^\\.$/');
  });

  it('ignores the statefulness of g and y regexes', () => {
    const matcher = lineMatcher(/^END$/g);
    const line = enc('END');
    expect([matcher(line, 0, 3), matcher(line, 0, 3), matcher(line, 0, 3)]).toEqual([true, true, true]);
  });
});

/** Feeds `chunks` to a scanner as one document of `want` records, like an instance does. */
function feed(scanner: RecordScanner, chunks: Buffer[], want: number): { found: number; extra: string } {
  let found = 0;
  for (const chunk of chunks) {
    if (found === want) return { found, extra: chunk.toString() };
    const n = scanner.scan(chunk, 0, want - found);
    found += n;
    if (found === want && scanner.end < chunk.length) return { found, extra: chunk.subarray(scanner.end).toString() };
  }
  return { found, extra: '' };
}

const splitAt = (data: Buffer, cuts: number[]): Buffer[] => {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, data.length]) {
    if (point > from) chunks.push(data.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
};

describe('scanners', () => {
  it('find the same record ends however the output is split (property)', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'b', '.', 'é'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const output = enc(lines.map((l) => `${l}\n`).join(''));
        const blankEnds = lines.filter((l) => l === '').length;
        const dotEnds = lines.filter((l) => l === '.').length;
        const chunks = splitAt(output, cuts);
        expect(feed(new LineScanner(), chunks, lines.length).found).toBe(lines.length);
        expect(feed(new TerminatedScanner(lineMatcher(/^$/)), chunks, blankEnds).found).toBe(blankEnds);
        expect(feed(new TerminatedScanner(lineMatcher(/^\.$/)), chunks, dotEnds).found).toBe(dotEnds);
      }),
      { numRuns: 300 },
    );
  });

  it('stop at the last wanted record, leaving extra output visible', () => {
    const scanner = new TerminatedScanner(lineMatcher(/^$/));
    expect(feed(scanner, [enc('A\nB\n\nstray\n')], 1)).toEqual({ found: 1, extra: 'stray\n' });
    expect(feed(new LineScanner(), [enc('x\ny'), enc('\nz\n')], 2)).toEqual({ found: 2, extra: 'z\n' });
  });

  it('a terminator line split across chunks still counts', () => {
    const scanner = new TerminatedScanner(lineMatcher(/^<\/s>$/));
    expect(feed(scanner, [enc('tok\n</'), enc('s'), enc('>\n')], 1)).toEqual({ found: 1, extra: '' });
  });
});
