// The daemon's answer to `hello`: it serves a client of its own version, protocol, project
// and config; any other client is told so (ok: false) and replaces the daemon.
import { realpathSync } from 'node:fs';
import { VERSION } from '../version.js';
import type { HelloMessage } from './messages/hello.js';
import { WELCOME, type WelcomeMessage } from './messages/welcome.js';
import { PROTOCOL } from './protocol.js';

export function welcome(m: HelloMessage, root: string, config: string | null): WelcomeMessage {
  const same = m.version === VERSION && m.protocol === PROTOCOL && sameFile(m.root, root) && m.config === config;
  return { type: WELCOME, ok: same, version: VERSION, protocol: PROTOCOL, pid: process.pid, config };
}

/** Two spellings of one directory (a symlink, a trailing slash) name the same project. */
function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
