// One deadline per instance: it fires when no answer has arrived for the current allowance.
// Progress only stamps a time; the timer re-arms lazily, so a million records cost no timers.

import { performance } from 'node:perf_hooks';

export class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #lastProgress = 0;
  readonly #deadline: () => number;
  readonly #fire: () => void;

  /** `deadline` is asked each time: the allowance shrinks once start-up is over. */
  constructor(deadline: () => number, fire: () => void) {
    this.#deadline = deadline;
    this.#fire = fire;
  }

  /** Starts the clock (no-op while it runs). */
  arm(): void {
    this.#lastProgress = performance.now();
    this.#timer ??= setTimeout(this.#check, this.#deadline());
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
