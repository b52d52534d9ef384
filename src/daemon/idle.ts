// The daemon's two quiet-time timers: exit after idleMs without clients, and collect garbage
// once a job has been followed by a moment without work.

/** Quiet time after a job before the daemon collects its garbage. */
const GC_AFTER_IDLE_MS = 1000;

export interface Busy {
  /** Open client connections. */
  connections(): number;
  /** Queued and running jobs. */
  jobs(): number;
}

export class Idle {
  readonly #idleMs: number;
  readonly #busy: Busy;
  readonly #onIdle: () => void;
  #idleTimer: NodeJS.Timeout | undefined;
  #gcTimer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `onIdle` runs after `idleMs` (0: never) without connections or jobs. */
  constructor(idleMs: number, busy: Busy, onIdle: () => void) {
    this.#idleMs = idleMs;
    this.#busy = busy;
    this.#onIdle = onIdle;
  }

  /** (Re)starts the idle countdown, if nothing is connected. */
  arm(): void {
    clearTimeout(this.#idleTimer);
    if (this.#idleMs <= 0 || this.#closed || this.#busy.connections() > 0) return;
    this.#idleTimer = setTimeout(() => {
      // A connection the poll phase has not accepted yet, or a job still running, keeps us.
      setImmediate(() => {
        if (this.#busy.connections() === 0 && this.#busy.jobs() === 0) this.#onIdle();
        else if (this.#busy.connections() === 0) this.arm();
      });
    }, this.#idleMs);
  }

  /** A client connected. */
  disarm(): void {
    clearTimeout(this.#idleTimer);
  }

  /**
   * A build of 10,000 documents leaves tens of megabytes of garbage that V8 keeps mapped
   * until its next full collection; with --expose-gc (the background daemon has it) one runs
   * once the daemon has been idle for a moment.
   */
  collectSoon(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined || this.#closed) return;
    clearTimeout(this.#gcTimer);
    this.#gcTimer = setTimeout(() => {
      if (this.#busy.jobs() === 0) gc();
    }, GC_AFTER_IDLE_MS);
    this.#gcTimer.unref();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#gcTimer);
  }
}
