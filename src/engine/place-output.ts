// Temp outputs and their move into place. Temps live in the session's own directory under
// .pipe/tmp and are renamed into the output's directory. When that directory
// is on another file system (out/ is a mount, or became one since the last build) the rename
// fails with EXDEV: the bytes are then copied to a temp file beside the output and renamed
// there, so a reader still never sees half an output. Nothing about devices is remembered
// between builds.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let seq = 0;

/**
 * Empties .pipe/tmp and makes this process's own directory in it. The caller holds the state
 * store, and only the store's holder writes temps, so everything found there belongs to a
 * process that is gone. Checking pids would keep a dead daemon's files whose pid was reused,
 * and a tool the dead daemon left running could still create its `{output}` temp after the
 * sweep; in a directory that no longer exists, it cannot.
 */
export function claimTempDir(pipeDir: string): string {
  const dir = join(pipeDir, 'tmp');
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true, recursive: true });
  return mkdtempSync(join(dir, `${process.pid}.`));
}

/** A fresh temp path in `tmpDir` (the session's own, see claimTempDir) for output `rel`. */
export function tempPathFor(tmpDir: string, rel: string): string {
  return join(tmpDir, `${++seq}.${basename(rel)}`);
}

/** Moves `tmp` to `dest` atomically, across file systems too. Throws the system error (see task-guard). */
export function moveIntoPlace(tmp: string, dest: string): void {
  try {
    renameSync(tmp, dest);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
  }
  const near = join(dirname(dest), `.${basename(dest)}.${process.pid}.${++seq}.pipe-tmp`);
  try {
    copyFileSync(tmp, near);
    renameSync(near, dest);
  } catch (e) {
    rmSync(near, { force: true });
    throw e;
  }
  rmSync(tmp, { force: true });
}
