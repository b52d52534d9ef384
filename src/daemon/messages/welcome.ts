// welcome (daemon -> client): the answer to `hello`. `ok: false` means the daemon is of
// another version (or serves another config): the client stops it and starts its own.
import { isObject } from '../protocol.js';

export const WELCOME = 'welcome';

export interface WelcomeMessage {
  type: typeof WELCOME;
  ok: boolean;
  version: string;
  protocol: number;
  pid: number;
  config: string | null;
}

export function isWelcomeMessage(m: unknown): m is WelcomeMessage {
  return (
    isObject(m) &&
    m['type'] === WELCOME &&
    typeof m['ok'] === 'boolean' &&
    typeof m['version'] === 'string' &&
    typeof m['protocol'] === 'number' &&
    typeof m['pid'] === 'number' &&
    (m['config'] === null || typeof m['config'] === 'string')
  );
}
