// why (client -> daemon): `pipe why TARGET`. Answered by `output` lines, then `exit`.
import { isObject, isStringRecord } from '../protocol.js';

export const WHY = 'why';

export interface WhyMessage {
  type: typeof WHY;
  /** Project-relative target. */
  target: string;
  json: boolean;
  env: Record<string, string>;
}

export function isWhyMessage(m: unknown): m is WhyMessage {
  return isObject(m) && m['type'] === WHY && typeof m['target'] === 'string' && typeof m['json'] === 'boolean' && isStringRecord(m['env']);
}
