// status (client -> daemon): `pipe status`. Answered by `output` lines, then `exit`.
import { isObject, isStringRecord } from '../protocol.js';

export const STATUS = 'status';

export interface StatusMessage {
  type: typeof STATUS;
  json: boolean;
  env: Record<string, string>;
}

export function isStatusMessage(m: unknown): m is StatusMessage {
  return isObject(m) && m['type'] === STATUS && typeof m['json'] === 'boolean' && isStringRecord(m['env']);
}
