// cancel (client -> daemon): Ctrl-C in the client; the daemon aborts that client's job, which
// then ends with `exit` 130 like an interrupted build without the daemon.
import { isObject } from '../protocol.js';

export const CANCEL = 'cancel';

export interface CancelMessage {
  type: typeof CANCEL;
}

export function isCancelMessage(m: unknown): m is CancelMessage {
  return isObject(m) && m['type'] === CANCEL;
}
