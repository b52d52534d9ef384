// Ending a daemon that does not answer: SIGTERM, a bounded wait, then SIGKILL (which also
// ends a stopped process). Callers check first that the pid is a pipe daemon of theirs
// (process-identity.ts); this file only signals and waits.
import { isAlive } from './paths.js';

/** Waits until `pid` has exited; false when it still runs after `ms`. */
export async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 5; isAlive(pid); delay = Math.min(delay * 2, 50)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
  }
  return true;
}

/** SIGTERM, up to `waitMs` to exit, then SIGKILL; true once the process is gone. */
export async function terminate(pid: number, waitMs: number): Promise<boolean> {
  if (!signal(pid, 'SIGTERM')) return true;
  // A stopped process (SIGSTOP, a debugger gone) handles SIGTERM, and so shuts down cleanly, only once continued.
  signal(pid, 'SIGCONT');
  if (await waitForExit(pid, waitMs)) return true;
  if (!signal(pid, 'SIGKILL')) return true;
  return waitForExit(pid, Math.max(waitMs, 1000));
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}
