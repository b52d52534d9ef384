// output (daemon -> client): text a command wrote to its Io (stdout or stderr).
import { isObject } from '../protocol.js';

export const OUTPUT = 'output';

export interface OutputMessage {
  type: typeof OUTPUT;
  stream: 'out' | 'err';
  text: string;
}

export function isOutputMessage(m: unknown): m is OutputMessage {
  return isObject(m) && m['type'] === OUTPUT && (m['stream'] === 'out' || m['stream'] === 'err') && typeof m['text'] === 'string';
}
