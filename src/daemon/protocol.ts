// The wire format between `pipe` clients and the daemon: one JSON object per line over a unix
// socket. Every connection opens with `hello` (versions); see messages/ for each message.
// This module and messages/ are loaded by the client, so they import nothing heavy.

/** Bumped whenever a message changes shape; compared together with the package VERSION. */
export const PROTOCOL = 1;

/** A daemon without clients or watches exits after this long (`pipe daemon --idle-ms`). */
export const DEFAULT_IDLE_MS = 15 * 60_000;

/**
 * Shell bookkeeping that differs between terminals but means nothing to tools: a client
 * leaves it out of the environment it sends, and the daemon keeps its own values.
 */
export const VOLATILE_ENV: ReadonlySet<string> = new Set(['_', 'OLDPWD', 'PWD', 'SHLVL']);

export interface Message {
  type: string;
}

export function encode(message: Message): string {
  return JSON.stringify(message) + '\n';
}

/** Splits a byte stream into lines and parses each as JSON; a bad line is reported, not thrown. */
export class LineDecoder {
  #buffer = '';
  readonly #onMessage: (m: unknown) => void;
  readonly #onBadLine: (line: string) => void;

  constructor(onMessage: (m: unknown) => void, onBadLine: (line: string) => void) {
    this.#onMessage = onMessage;
    this.#onBadLine = onBadLine;
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line !== '') {
        let parsed: unknown;
        let good = true;
        try {
          parsed = JSON.parse(line);
        } catch {
          good = false;
        }
        if (good) this.#onMessage(parsed);
        else this.#onBadLine(line);
      }
      nl = this.#buffer.indexOf('\n');
    }
  }
}

/** Shared shape checks for the type guards in messages/. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export function isStringRecord(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}
