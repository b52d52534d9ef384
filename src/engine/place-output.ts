// Temp outputs and their move into place. Temps live in .pipe/tmp (swept of dead processes'
// files at the next start) and are renamed into the output's directory. When that directory
// is on another file system (out/ is a mount, or became one since the last build) the rename
// fails with EXDEV: the bytes are then copied to a temp file beside the output and renamed
// there, so a reader still never sees half an output. Nothing about devices is remembered
// between builds.
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let seq = 0;

/** A fresh temp path in `tmpDir` (the session's own, see Session's sweep) for output `rel`. */
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
