// Which operation each soak step runs. `full` draws each step by weight; `ci` deals a seeded
// shuffle of a fixed deck, so a short run still covers every operation once or more.
export const PROFILES = {
  full: { weights: { edit: 3, wsedit: 2, touch: 2, add: 1, delete: 1, revert: 1, build: 4, build_nodaemon: 2, concurrent: 2, recreate: 1, kill_client: 1, kill_daemon: 1, sigstop: 1, stop: 1 } },
  ci: { deck: { edit: 1, wsedit: 1, touch: 1, add: 1, delete: 1, revert: 1, build: 3, build_nodaemon: 1, concurrent: 1, recreate: 1, kill_client: 1, kill_daemon: 1, sigstop: 1, stop: 1 } },
};

export const OPS = Object.keys(PROFILES.full.weights);

export class Schedule {
  #deck = [];

  /** `without`: operations left out (a deck's cards of them are dropped). */
  constructor(rng, profile, without) {
    this.rng = rng;
    const p = PROFILES[profile];
    const keep = (entries) => Object.fromEntries(Object.entries(entries).filter(([op]) => !without.includes(op)));
    this.weights = p.weights !== undefined ? keep(p.weights) : undefined;
    this.cards = p.deck !== undefined ? keep(p.deck) : undefined;
    if (this.cards !== undefined) this.#deal();
  }

  /** The size of one deck (the ci profile's natural number of steps), or undefined. */
  get deckSize() {
    return this.cards === undefined ? undefined : Object.values(this.cards).reduce((s, n) => s + n, 0);
  }

  /** The operations still in the deck, in the order they will come. */
  get upcoming() {
    return [...this.#deck].reverse();
  }

  /** The next operation; one that cannot run now (a delete of the last document) becomes an edit. */
  next(applicable) {
    if (this.cards !== undefined) {
      if (this.#deck.length === 0) this.#deal();
      const op = this.#deck.pop();
      return applicable(op) ? op : 'edit';
    }
    const ops = Object.entries(this.weights).filter(([op]) => applicable(op));
    let r = this.rng.next() * ops.reduce((s, [, w]) => s + w, 0);
    for (const [op, w] of ops) if ((r -= w) < 0) return op;
    return ops[ops.length - 1][0];
  }

  #deal() {
    this.#deck = Object.entries(this.cards).flatMap(([op, n]) => Array.from({ length: n }, () => op));
    for (let i = this.#deck.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [this.#deck[i], this.#deck[j]] = [this.#deck[j], this.#deck[i]];
    }
  }
}
