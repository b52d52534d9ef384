// One deadline per instance: it fires when no answer has arrived for the current allowance.
// Progress only stamps a time; the timer re-arms lazily, so a million records cost no timers.
// While armed it also reports every `reportMs` of silence, so a long wait is never a silent one.

import { performance } from 'node:perf_hooks';

export class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #lastProgress = 0;
  readonly #deadline: () => number;
  readonly #fire: () => void;
  readonly #quiet: (quietMs: number) => void;
  readonly #reportMs: number;

  /**
   * `deadline` is asked each time: the allowance shrinks once start-up is over. `quiet` is
   * told how long nothing has arrived, every `reportMs` while that lasts.
   */
  constructor(deadline: () => number, fire: () => void, quiet: (quietMs: number) => void = () => {}, reportMs = Infinity) {
    this.#deadline = deadline;
    this.#fire = fire;
    this.#quiet = quiet;
    this.#reportMs = reportMs;
  }

  /** Starts the clock (no-op while it runs). */
  arm(): void {
    this.#lastProgress = performance.now();
    this.#timer ??= setTimeout(this.#check, this.#deadline());
    if (this.#reportTimer === undefined && this.#reportMs < 2 ** 31) {
      this.#reportTimer = setInterval(() => {
        const quiet = performance.now() - this.#lastProgress;
        if (quiet >= this.#reportMs) this.#quiet(quiet);
      }, this.#reportMs);
      this.#reportTimer.unref(); // the deadline timer is what keeps a wait alive
    }
  }

  progress(): void {
    this.#lastProgress = performance.now();
  }

  /** The allowance changed (start-up over): re-arm with the new one. */
  rearm(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#check, this.#deadline());
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#reportTimer !== undefined) clearInterval(this.#reportTimer);
    this.#reportTimer = undefined;
  }

  #check = (): void => {
    this.#timer = undefined;
    const deadline = this.#deadline();
    const quiet = performance.now() - this.#lastProgress;
    if (quiet + 1 < deadline) {
      this.#timer = setTimeout(this.#check, deadline - quiet);
      return;
    }
    this.#fire();
  };
}
