// The JSON worker framing of one instance: requests in flight by id, answers matched back,
// one timer per request. Several documents may be in flight at once.

import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { encodeRequest, parseResponse } from './warm-json.js';
import type { WarmFailure } from './warm-types.js';

const NL = 0x0a;

interface Pending<J> {
  job: J;
  timer: NodeJS.Timeout;
}

export interface JsonChannelHooks<J> {
  write(bytes: string): void;
  /** A request got its answer; `result` is the output or a request-failed failure. */
  answered(job: J, result: Result<Uint8Array, WarmFailure>): void;
  /** A line no request was waiting for, or one that is not a response. */
  broken(detail: string, stray: Buffer | null): void;
  timedOut(job: J): void;
}

export class JsonChannel<J> {
  readonly #tool: string;
  readonly #hooks: JsonChannelHooks<J>;
  readonly #inflight = new Map<number, Pending<J>>();
  #nextRequestId = 1;
  readonly #lineCarry: Buffer[] = [];

  constructor(tool: string, hooks: JsonChannelHooks<J>) {
    this.#tool = tool;
    this.#hooks = hooks;
  }

  get size(): number {
    return this.#inflight.size;
  }

  send(job: J, text: string, deadlineMs: number): void {
    const id = this.#nextRequestId++;
    const timer = setTimeout(() => {
      if (this.#inflight.has(id)) this.#hooks.timedOut(job);
    }, deadlineMs);
    this.#inflight.set(id, { job, timer });
    this.#hooks.write(encodeRequest(id, text));
  }

  /** Feeds stdout; `stopped()` tells whether to stop reading (the instance was killed). */
  feed(chunk: Buffer, stopped: () => boolean): void {
    let pos = 0;
    for (;;) {
      const at = chunk.indexOf(NL, pos);
      if (at === -1) {
        if (pos < chunk.length) this.#lineCarry.push(chunk.subarray(pos));
        return;
      }
      let line = chunk.subarray(pos, at);
      if (this.#lineCarry.length > 0) {
        this.#lineCarry.push(line);
        line = Buffer.concat(this.#lineCarry);
        this.#lineCarry.length = 0;
      }
      pos = at + 1;
      this.#line(line);
      if (stopped()) return;
    }
  }

  /** Forgets every request (the instance died) and returns their jobs. */
  take(): J[] {
    const jobs: J[] = [];
    for (const pending of this.#inflight.values()) {
      clearTimeout(pending.timer);
      jobs.push(pending.job);
    }
    this.#inflight.clear();
    return jobs;
  }

  #line(line: Buffer): void {
    if (this.#inflight.size === 0) {
      this.#hooks.broken('', line);
      return;
    }
    const parsed = parseResponse(line.toString('utf8'));
    if (!parsed.ok) {
      this.#hooks.broken(`answered with a line that ${parsed.error}`, line);
      return;
    }
    const { requestId, exitCode, output } = parsed.value;
    // Id 0: a singleplex worker that ignores ids answers in order.
    const id = requestId === 0 ? (this.#inflight.keys().next().value as number) : requestId;
    const pending = this.#inflight.get(id);
    if (pending === undefined) {
      this.#hooks.broken(`answered requestId ${requestId}, which is not in flight`, line);
      return;
    }
    clearTimeout(pending.timer);
    this.#inflight.delete(id);
    this.#hooks.answered(
      pending.job,
      exitCode === 0 ? ok(Buffer.from(output, 'utf8')) : err({ reason: 'request-failed', tool: this.#tool, exitCode, message: output }),
    );
  }
}
