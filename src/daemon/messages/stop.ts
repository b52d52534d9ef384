// stop (client -> daemon): `pipe stop`, or a client of another version. The daemon answers
// `exit` 0, cancels its jobs, stops its warm tools and exits.
import { isObject } from '../protocol.js';

export const STOP = 'stop';

export interface StopMessage {
  type: typeof STOP;
}

export function isStopMessage(m: unknown): m is StopMessage {
  return isObject(m) && m['type'] === STOP;
}
