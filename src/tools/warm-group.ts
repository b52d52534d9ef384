// A pool's view of one tool: the instances sharing a spec key, the framing's matchers and
// marker, the documents waiting, and each document prepared for the framing.

import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { Fifo } from './fifo.js';
import type { FinalNewline } from './final-newline.js';
import type { LineMatcher, PreparedInput } from './record-framing.js';
import { lineMatcher, prepareInput } from './record-framing.js';
import { hasLine, markerRecord, sentinelText } from './sentinel.js';
import type { Job, WarmInstance } from './warm-instance.js';
import type { WarmFailure, WarmToolSpec } from './warm-types.js';

/** Instances that start the same process the same way (see specKey). */
export interface Group {
  readonly key: string;
  /** The latest spec seen for this key (its `instances` etc. may change between calls). */
  spec: WarmToolSpec;
  readonly instances: Set<WarmInstance>;
  readonly inputMatcher: LineMatcher | null;
  readonly outputMatcher: LineMatcher | null;
  /** The marker record's text and bytes (see sentinel.ts); null bytes: no marker. */
  readonly markerText: string | null;
  readonly marker: Buffer | null;
  /** Learned from one cold run when the first document without a final newline comes. */
  finalNewline: Promise<FinalNewline> | undefined;
  /** Documents waiting for an instance, oldest first. */
  readonly waiting: Fifo<Waiter>;
  /** The last measured start-up and document times of its instances (see warm-growth.ts). */
  startupMs: number | null;
  documentMs: number | null;
  /** Re-plans when the document in flight will have run long enough to justify another instance. */
  growthTimer: NodeJS.Timeout | undefined;
}

export interface Waiter {
  readonly job: Job;
  /** The caller gave up (aborted) while the document waited. */
  abandoned(): boolean;
}

export type Prepared = { kind: 'records'; input: PreparedInput } | { kind: 'json'; text: string };

export function createGroup(spec: WarmToolSpec, key: string): Group {
  const framing = spec.framing;
  const inputMatcher = framing.kind === 'terminated' ? lineMatcher(framing.input) : null;
  const markerText = sentinelText(framing);
  const emptyEndsRecord = inputMatcher === null || inputMatcher(Buffer.alloc(0), 0, 0);
  return {
    key,
    spec,
    instances: new Set(),
    inputMatcher,
    outputMatcher: framing.kind === 'terminated' ? lineMatcher(framing.output) : null,
    markerText,
    marker: markerText === null ? null : markerRecord(framing, markerText, emptyEndsRecord),
    finalNewline: undefined,
    waiting: new Fifo(),
    startupMs: null,
    documentMs: null,
    growthTimer: undefined,
  };
}

/** Cuts a document for the group's framing; 'empty' when there is nothing to send nor print. */
export function prepareDocument(group: Group, input: Uint8Array): Result<Prepared | 'empty', WarmFailure> {
  const spec = group.spec;
  const framing = spec.framing;
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (framing.kind === 'json') return ok({ kind: 'json', text: buf.toString('utf8') });
  const records = prepareInput(framing, group.inputMatcher, input);
  if (!records.ok) return err({ reason: 'protocol-error', tool: spec.name, record: 0, detail: records.error, stderrTail: '' });
  // Under the sentinel framing even an empty document has an output: the learned prelude.
  if (records.value.records === 0 && spec.prelude === 0 && framing.kind !== 'sentinel') return ok('empty');
  if (framing.kind === 'sentinel' && group.markerText !== null && hasLine(buf, group.markerText)) {
    const detail =
      `the document has a line equal to the sentinel ${JSON.stringify(group.markerText)}, which marks the end of ` +
      "a document's output; choose a sentinel no document contains (warm: { framing: 'sentinel', sentinel: '...' })";
    return err({ reason: 'protocol-error', tool: spec.name, record: 0, detail, stderrTail: '' });
  }
  return ok({ kind: 'records', input: records.value });
}

/** The answer to an unterminated last line without the '\n' the cold tool would not print. */
export function withoutFinalNewline(output: Uint8Array): Result<Uint8Array, WarmFailure> {
  return ok(output.length > 0 && output[output.length - 1] === 0x0a ? output.subarray(0, output.length - 1) : output);
}
