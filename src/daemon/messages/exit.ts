// exit (daemon -> client): the job is over; the client exits with `code`.
import { isObject } from '../protocol.js';

export const EXIT = 'exit';

export interface ExitMessage {
  type: typeof EXIT;
  code: number;
}

export function isExitMessage(m: unknown): m is ExitMessage {
  return isObject(m) && m['type'] === EXIT && Number.isInteger(m['code']);
}
