// A tool's identity: content digests of its resolved executable, of the executables a wrapper
// runs (`stdbuf -oL lt-proc`, `sh -c '...'`; see wrapped-command.ts), of every argument naming
// an existing file or directory, of its declared `files` (globs expanded), and the values of
// its `env`. Two runs with equal identities use the same tool bytes, up to what `uncovered`
// names.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { toolArgumentPaths } from '../config/tool-paths.js';
import type { Tool } from '../config/validate.js';
import type { IdentityPart } from '../store/state-store.js';
import { resolveExecutable, searchedFor } from '../util/resolve-executable.js';
import { treeFiles } from '../util/tree-files.js';
import { err, ok, type Result } from '../util/result.js';
import { digestBytes, digestFields, type Digest } from './digest.js';
import type { StatCache } from './stat-cache.js';
import { wrappedCommands } from './wrapped-command.js';

export interface ToolIdentity {
  digest: Digest;
  parts: IdentityPart[];
  /** Absolute path of the executable to spawn. */
  executable: string;
  /** True when a part is a directory tree or a glob: a file added to it changes no known stat. */
  hasDirectory: boolean;
  /** What the identity cannot see (a command in a shell variable), in words; empty: all of it. */
  uncovered: string[];
}

export type IdentityFailure =
  | { reason: 'tool-not-found'; tool: string; command: string; searched: string }
  | { reason: 'tool-file-missing'; tool: string; path: string };

const GLOB = /[*?[\]{}]/;

export function toolIdentity(tool: Tool, root: string, stats: StatCache, env: NodeJS.ProcessEnv = process.env): Result<ToolIdentity, IdentityFailure> {
  const argv0 = tool.command[0] ?? '';
  const executable = resolveExecutable(argv0, root, env);
  if (executable === undefined) {
    return err({
      reason: 'tool-not-found',
      tool: tool.name,
      command: argv0,
      searched: searchedFor(argv0, root, env),
    });
  }
  const parts: IdentityPart[] = [];
  const seen = new Set<string>();
  const add = (part: IdentityPart): void => {
    const k = `${part.kind}:${part.name}`;
    if (!seen.has(k)) parts.push(part);
    seen.add(k);
  };
  const dirs = { seen: false };
  const digestPath = (abs: string, r: string, st: StatCache): Digest | undefined => digestTree(abs, r, st, dirs);
  const exe = digestPath(executable, root, stats);
  add({ kind: 'executable', name: displayPath(executable, root), digest: exe ?? 'missing' });
  const wrapped = wrappedCommands(tool.command);
  const uncovered = [...wrapped.uncovered];
  for (const cmd of wrapped.commands) {
    const abs = resolveExecutable(cmd, root, env);
    if (abs === undefined) {
      uncovered.push(`the command ${cmd} (not found on PATH)`);
      continue;
    }
    add({ kind: 'executable', name: displayPath(abs, root), digest: digestPath(abs, root, stats) ?? 'missing' });
  }
  for (const value of toolArgumentPaths(tool.command)) {
    const d = digestPath(resolve(root, value), root, stats);
    if (d !== undefined) add({ kind: 'file', name: value, digest: d });
  }
  for (const value of wrapped.paths) {
    const abs = resolve(root, value);
    // A script's words are guesses: only plain files count (`.` would hash the project).
    if (statSync(abs, { throwIfNoEntry: false })?.isFile() !== true) continue;
    const d = digestPath(abs, root, stats);
    if (d !== undefined) add({ kind: 'file', name: value, digest: d });
  }
  for (const f of tool.files) {
    const glob = GLOB.test(f);
    // Like a directory, a glob gains files that no known stat tells about (see CleanMarker).
    if (glob) dirs.seen = true;
    const matches = glob ? expandGlob(f, root) : [f];
    if (matches.length === 0) return err({ reason: 'tool-file-missing', tool: tool.name, path: f });
    for (const m of matches) {
      const d = digestPath(resolve(root, m), root, stats);
      if (d === undefined) return err({ reason: 'tool-file-missing', tool: tool.name, path: m });
      add({ kind: 'file', name: m, digest: d });
    }
  }
  for (const name of tool.env) {
    const v = env[name];
    add({ kind: 'env', name, digest: v === undefined ? 'unset' : digestBytes(v) });
  }
  const digest = digestFields(parts.flatMap((p) => [p.kind, p.name, p.digest]));
  return ok({ digest, parts, executable, hasDirectory: dirs.seen, uncovered });
}

/**
 * The files a `files` glob names (`/usr/share/hunspell/en_US.*` for `hunspell -d en_US`), in
 * order; relative patterns are relative to the project. fast-glob loads only for a glob.
 */
function expandGlob(pattern: string, root: string): string[] {
  const fg = createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');
  return fg.sync(pattern, { cwd: root, dot: true, onlyFiles: true }).sort();
}

/** Digest of a file, or of a directory tree (names and contents), via the stat cache. */
function digestTree(abs: string, root: string, stats: StatCache, dirs: { seen: boolean }): Digest | undefined {
  const st = statSync(abs, { throwIfNoEntry: false });
  if (st === undefined) return undefined;
  if (st.isFile()) {
    return stats.state(abs, cacheKey(abs, root))?.digest;
  }
  if (!st.isDirectory()) return undefined;
  dirs.seen = true;
  const fields: string[] = [];
  for (const f of treeFiles(abs)) {
    const s = stats.state(f.abs, cacheKey(f.abs, root));
    if (s !== undefined) fields.push(f.rel, s.digest);
  }
  return digestFields(fields);
}

/** Stat-cache key: project-relative inside the root (so a moved checkout stays valid). */
export function cacheKey(abs: string, root: string): string {
  const r = relative(root, abs);
  return r.startsWith('..') || isAbsolute(r) ? abs : r;
}

function displayPath(abs: string, root: string): string {
  return cacheKey(abs, root);
}
