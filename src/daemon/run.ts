// `pipe daemon`: runs the daemon in this process until it stops, logging to stderr (which a
// daemon started in the background by a client writes to .pipe/daemon.log).
import { formatSessionFailure } from '../report/format-failure.js';
import { Daemon } from './server.js';
import { describeDaemonStartFailure, startFailureStatus } from './start-failure.js';

export interface RunOptions {
  root: string;
  config: string | null;
  idleMs: number;
  statAll: boolean;
}

export async function runDaemon(o: RunOptions): Promise<number> {
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${line.trimEnd()}\n`);
  };
  const started = await Daemon.start({ ...o, log });
  if (!started.ok) {
    log(`not started: ${describeDaemonStartFailure(started.error, formatSessionFailure)}`);
    // Losing a start race is not an error: the status tells the client what to do instead.
    return startFailureStatus(started.error);
  }
  const daemon = started.value;
  const onSignal = (signal: string) => () => void daemon.stop(`received ${signal}`);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, onSignal(s));
  process.on('uncaughtException', (e) => {
    log(`uncaught exception: ${e.stack ?? e.message}`);
    void daemon.stop('uncaught exception').finally(() => process.exit(1));
  });
  await daemon.stopped;
  // Everything is closed; a stray handle (a tool that ignores SIGTERM's pipe) must not keep us alive.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
