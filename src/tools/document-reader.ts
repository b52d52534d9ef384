// What every framing's reader of one document's answer reports per stdout chunk.

/** The outcome of feeding one stdout chunk to a document's reader. */
export type ReadStep =
  /** The answer is not complete yet. */
  | { kind: 'more' }
  /** The document's complete answer (prelude included); nothing followed it in the chunk. */
  | { kind: 'done'; output: Buffer }
  /** The answer did not line up; the instance must be killed and nothing recorded. */
  | { kind: 'misaligned'; record: number; detail: string };

export interface DocumentReader {
  feed(chunk: Buffer): ReadStep;
  /** Grows whenever an answer (a record, or for the sentinel framing any byte) arrives. */
  readonly progress: number;
  /** 1-based record the tool is working on, for messages. */
  readonly record: number;
  /** stdout bytes of this document so far. */
  readonly bytes: number;
}
