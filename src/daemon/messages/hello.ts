// hello (client -> daemon): the first line of every connection. The daemon answers `welcome`
// and serves the connection only if version, protocol, root and config all match.
import { isObject } from '../protocol.js';

export const HELLO = 'hello';

export interface HelloMessage {
  type: typeof HELLO;
  version: string;
  protocol: number;
  /** Absolute project root. */
  root: string;
  /** Absolute config file given with --config, or null for the default lookup. */
  config: string | null;
}

export function isHelloMessage(m: unknown): m is HelloMessage {
  return (
    isObject(m) &&
    m['type'] === HELLO &&
    typeof m['version'] === 'string' &&
    typeof m['protocol'] === 'number' &&
    typeof m['root'] === 'string' &&
    (m['config'] === null || typeof m['config'] === 'string')
  );
}
