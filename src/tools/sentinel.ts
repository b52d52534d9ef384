// The marker record written after each document: its bytes, and learning the tool's answer to it.

import type { Framing } from './warm-types.js';

/**
 * A word no real document line equals, that line tools echo or transform and that
 * tokenizers, spell checkers and parsers answer deterministically.
 */
export const DEFAULT_SENTINEL = 'docpipesentinel';

const NL = 0x0a;

/** The sentinel text of a spec: its own, the default, or null (no marker). */
export function sentinelText(framing: Framing): string | null {
  if (framing.kind === 'json' || framing.sentinel === null) return null;
  return framing.sentinel ?? DEFAULT_SENTINEL;
}

/**
 * The bytes of one marker record: a line, and under `terminated` framing a terminator line
 * after it. Null when the framing's input terminator accepts no empty line (then there is
 * no record known to be one record, so no verifier).
 */
export function markerRecord(framing: Framing, text: string, inputTerminatorMatchesEmpty: boolean): Buffer | null {
  const line = Buffer.from(`${text}\n`, 'utf8');
  if (framing.kind !== 'terminated') return line;
  return inputTerminatorMatchesEmpty ? Buffer.concat([line, Buffer.from([NL])]) : null;
}

/**
 * Finds the start-up output split as prelude + answer + answer (the marker was written
 * twice), taking the longest answer that starts on a line boundary; null while `buf` is not
 * of that shape yet. Two copies tell where an answer of unknown shape ends.
 */
export function splitRepeated(buf: Buffer): { prelude: Buffer; answer: Buffer } | null {
  const length = buf.length;
  if (length < 2 || buf[length - 1] !== NL) return null;
  for (let size = Math.floor(length / 2); size >= 1; size--) {
    const start = length - 2 * size;
    if (start > 0 && buf[start - 1] !== NL) continue;
    if (buf[start + size - 1] !== NL) continue;
    if (buf.compare(buf, start + size, length, start, start + size) === 0) {
      return { prelude: buf.subarray(0, start), answer: buf.subarray(start + size) };
    }
  }
  return null;
}

/** Whether `buf` has a line equal to `text` (the sentinel framing cannot carry such a document). */
export function hasLine(buf: Buffer, text: string): boolean {
  const needle = Buffer.from(text, 'utf8');
  for (let at = buf.indexOf(needle); at !== -1; at = buf.indexOf(needle, at + 1)) {
    const end = at + needle.length;
    if ((at === 0 || buf[at - 1] === NL) && (end === buf.length || buf[end] === NL)) return true;
  }
  return false;
}
