// Listening on the daemon's socket without ever removing someone else's. Node (libuv)
// unlinks a unix socket's path when the server closes, whatever file is there by then: a
// daemon whose project was re-created would delete its successor's socket. So the daemon
// binds a name of its own (`.d<pid>` beside the socket), renames it into place, and
// remembers the file's identity; on stop it removes the socket only if it is still that file.
import { chmodSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { err, ok, type Result } from '../util/result.js';
import { ensureSocketDir } from './paths.js';

/** Device and inode of a file, or undefined when it does not exist. */
export function fileId(path: string): string | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? undefined : `${st.dev}:${st.ino}`;
}

export async function listenPrivately(socket: string): Promise<Result<{ server: Server; id: string }, string>> {
  const dirProblem = ensureSocketDir(socket);
  if (dirProblem !== undefined) return err(dirProblem);
  const own = join(dirname(socket), `.d${process.pid}`);
  rmSync(own, { force: true });
  const server = createServer();
  const mask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(own, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(own, 0o600);
    // Atomic: a stale socket left by a killed daemon is replaced, never briefly missing.
    renameSync(own, socket);
  } catch (e) {
    server.close();
    rmSync(own, { force: true });
    return err((e as Error).message);
  } finally {
    process.umask(mask);
  }
  const id = fileId(socket);
  if (id === undefined) return err(`${socket} vanished right after it was created`);
  return ok({ server, id });
}

/** Removes `path` if it is still the file `id` names. */
export function removeIfSame(path: string, id: string): void {
  if (fileId(path) === id) rmSync(path, { force: true });
}
