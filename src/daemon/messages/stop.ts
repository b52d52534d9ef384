// stop (client -> daemon): `pipe stop`, or a client of another version. The daemon answers
// `exit` 0, cancels its jobs, stops its warm tools and exits. With `drain` (a --no-daemon
// client) it accepts no new connection, ends watches, lets the jobs it has finish, then exits.
import { isObject } from '../protocol.js';

export const STOP = 'stop';

export interface StopMessage {
  type: typeof STOP;
  drain?: boolean;
}

export function isStopMessage(m: unknown): m is StopMessage {
  return isObject(m) && m['type'] === STOP && (m['drain'] === undefined || typeof m['drain'] === 'boolean');
}
