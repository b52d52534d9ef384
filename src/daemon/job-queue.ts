// One job at a time, first come first served. Two clients never race on the session: a
// stage is never run twice and the state store never sees two writers. A job whose client
// went away before its turn is skipped.
export class JobQueue {
  #tail: Promise<void> = Promise.resolve();
  #size = 0;

  /** Queued and running jobs. */
  get size(): number {
    return this.#size;
  }

  /** Runs `job` after every job queued before it; resolves with its value (or rejects with its error). */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.#size++;
    const result = this.#tail.then(job);
    this.#tail = result.then(
      () => {
        this.#size--;
      },
      () => {
        this.#size--;
      },
    );
    return result;
  }

  /** Resolves when every job queued so far has finished. */
  drained(): Promise<void> {
    return this.#tail;
  }
}
