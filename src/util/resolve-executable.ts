// The one PATH resolver: which file a command's argv[0] runs. Used for tool identities (the
// executable is content-hashed), for spawning, and by the `pipe run` client, so all agree.
// node:fs and node:path only: the `pipe run` client loads this on every call.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';

/**
 * Absolute path of the executable `argv0` names, or undefined: relative to `cwd` when it has
 * a '/', else the first executable file on PATH. A relative PATH entry (`PATH=bin:$PATH`) is
 * taken relative to `cwd`, as a shell started there would.
 */
export function resolveExecutable(argv0: string, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (argv0 === '') return undefined;
  if (argv0.includes('/')) {
    const p = isAbsolute(argv0) ? argv0 : resolve(cwd, argv0);
    return isExecutable(p) ? p : undefined;
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = resolve(cwd, dir, argv0);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** Where a failed resolution looked, for the "tool not found" message. */
export function searchedFor(argv0: string, cwd: string, env: NodeJS.ProcessEnv): string {
  return argv0.includes('/') ? resolve(cwd, argv0) : `PATH=${env['PATH'] ?? ''}`;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
