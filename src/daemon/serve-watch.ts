// `pipe watch` in the daemon: a watch loop on the daemon's session and pool for as long as
// its client stays connected (a closed connection or a draining daemon ends it: exit 130).
import { WatchLoop, type WatchHost } from '../watch/watch-loop.js';
import type { Connection } from './connection.js';
import type { WatchMessage } from './messages/watch.js';

export function serveWatch(host: WatchHost, c: Connection, m: WatchMessage, controller: AbortController, watches: Set<WatchLoop>, log: (line: string) => void, logPath: string): void {
  c.watching = true;
  const loop = new WatchLoop(host, { paths: m.paths, prune: m.prune, jobs: m.jobs, env: m.env }, c.io);
  watches.add(loop);
  log(`watch started (${m.paths.length > 0 ? m.paths.join(', ') : 'source directories'})`);
  controller.signal.addEventListener('abort', () => void loop.close(), { once: true });
  void loop.run().then(
    () => {
      watches.delete(loop);
      log('watch ended');
      c.finish(controller.signal.aborted ? 130 : 0);
    },
    (e: unknown) => {
      watches.delete(loop);
      log(`watch failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      c.io.err(`pipe: watch failed in the daemon: ${e instanceof Error ? e.message : String(e)} (see ${logPath})\n`);
      c.finish(1);
    },
  );
}
