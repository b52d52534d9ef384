// `-C DIR`: the project directory, checked before anything looks for a config in it, and
// accepted before the subcommand too (`pipe -C dir build`, as make and git take it).
import { statSync } from 'node:fs';

/** Why DIR cannot be the project directory, or undefined when it can. */
export function directoryProblem(dir: string): string | undefined {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? `no such directory: ${dir}` : `cannot use directory ${dir}: ${code ?? String(e)}`;
  }
  return st.isDirectory() ? undefined : `not a directory: ${dir}`;
}

export type LeadingDirectory = { ok: true; argv: string[] } | { ok: false; message: string };

/**
 * Applies every `-C DIR` / `--directory DIR` before the subcommand (each relative to the one
 * before, as in git) by changing into it, and returns argv without them, so the subcommand,
 * its targets and its own `-C` resolve from there.
 */
export function applyLeadingDirectory(argv: readonly string[]): LeadingDirectory {
  const rest = [...argv];
  for (;;) {
    const a = rest[0];
    if (a === undefined) break;
    let dir: string | undefined;
    let take = 1;
    if (a === '-C' || a === '--directory') {
      dir = rest[1];
      take = 2;
      if (dir === undefined) return { ok: false, message: `${a} needs a directory` };
    } else if (a.startsWith('--directory=')) dir = a.slice('--directory='.length);
    else if (a.startsWith('-C') && a.length > 2) dir = a.slice(2);
    else break;
    const problem = directoryProblem(dir);
    if (problem !== undefined) return { ok: false, message: `-C: ${problem}` };
    process.chdir(dir);
    rest.splice(0, take);
  }
  return { ok: true, argv: rest };
}
