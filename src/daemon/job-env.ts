// Jobs run one at a time, so each may see its own client's environment, as without a
// daemon; shell bookkeeping (VOLATILE_ENV) keeps the daemon's own values.
import { VOLATILE_ENV } from './protocol.js';

export class JobEnv {
  readonly #own: Record<string, string | undefined> = Object.fromEntries([...VOLATILE_ENV].map((k) => [k, process.env[k]]));

  apply(env: Record<string, string>): void {
    for (const k of Object.keys(process.env)) if (!(k in env) && !VOLATILE_ENV.has(k)) delete process.env[k];
    for (const [k, v] of Object.entries(env)) if (!VOLATILE_ENV.has(k) && process.env[k] !== v) process.env[k] = v;
    for (const [k, v] of Object.entries(this.#own)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
