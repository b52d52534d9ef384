// Small real file systems for tests of full disks and cross-device renames: a tmpfs mounted
// on a test directory (we run as root in CI). Where mounting is not permitted the tests that
// need it are skipped, visibly, by `canMount`.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  } catch {
    // not mounted (the test failed before mounting)
  }
}

/** True when this process may mount a tmpfs (root, or a permissive container). */
export const canMount: boolean = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'docpipe-mount-probe-'));
  try {
    mountTmpfs(dir, '64k');
    unmount(dir);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** Fills the file system holding `dir` with a file `dir/filler` until a write fails (ENOSPC). */
export function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}
