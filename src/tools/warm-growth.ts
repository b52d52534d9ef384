// Decides when a tool's queue is worth another instance: a start-up (a model load) is paid
// only when the waiting documents would keep the running instances busy for longer than it.

/** What the pool knows about one tool's instances. */
export interface GrowthView {
  /** How long the tool's last start-up took; null: no instance has finished starting yet. */
  startupMs: number | null;
  /** How long its documents take (recent average); null: none measured yet. */
  documentMs: number | null;
  /** How long the oldest document now in flight has been running; null: none in flight. */
  inFlightMs: number | null;
  /** Documents waiting for an instance. */
  waiting: number;
  /** Instances taking work (starting ones included). */
  serving: number;
}

/**
 * 0: start one more instance now. A positive number: not yet, but the document in flight
 * will have run long enough to make it worthwhile after that many ms (if nothing else
 * changes). Infinity: not worthwhile.
 *
 * While an instance is still starting nothing is known, and a second start-up would only
 * race the first: the queue waits for it (a demo with a 3 s model and 10 ms documents
 * otherwise pays two loads to save nothing).
 */
export function growthDelay(view: GrowthView): number {
  const { startupMs, documentMs, inFlightMs, waiting, serving } = view;
  if (startupMs === null || waiting <= 0) return Infinity;
  if (serving === 0) return 0;
  // Per-document time above which the queue, shared by the serving instances, outlasts a start-up.
  const threshold = (startupMs * serving) / waiting;
  const perDocument = Math.max(documentMs ?? 0, inFlightMs ?? 0);
  if (perDocument > threshold) return 0;
  if (inFlightMs === null) return Infinity;
  return threshold - inFlightMs;
}

/** Folds one measured document time into the running average (recent documents weigh more). */
export function averageMs(previous: number | null, sample: number): number {
  return previous === null ? sample : previous * 0.7 + sample * 0.3;
}
