// A tool's identity: content digests of its resolved executable, of every argument naming
// an existing file or directory, of its declared `files`, and the values of its `env`.
// Two runs with equal identities are guaranteed to use the same tool bytes.
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { toolArgumentPaths } from '../config/tool-paths.js';
import type { Tool } from '../config/validate.js';
import type { IdentityPart } from '../store/state-store.js';
import { resolveExecutable, searchedFor } from '../util/resolve-executable.js';
import { treeFiles } from '../util/tree-files.js';
import { err, ok, type Result } from '../util/result.js';
import { digestBytes, digestFields, type Digest } from './digest.js';
import type { StatCache } from './stat-cache.js';

export interface ToolIdentity {
  digest: Digest;
  parts: IdentityPart[];
  /** Absolute path of the executable to spawn. */
  executable: string;
  /** True when a part is a directory tree: a file added to it changes no known stat. */
  hasDirectory: boolean;
}

export type IdentityFailure =
  | { reason: 'tool-not-found'; tool: string; command: string; searched: string }
  | { reason: 'tool-file-missing'; tool: string; path: string };

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
  const dirs = { seen: false };
  const digestPath = (abs: string, r: string, st: StatCache): Digest | undefined => digestTree(abs, r, st, dirs);
  const exe = digestPath(executable, root, stats);
  parts.push({ kind: 'executable', name: displayPath(executable, root), digest: exe ?? 'missing' });
  for (const value of toolArgumentPaths(tool.command)) {
    const d = digestPath(resolve(root, value), root, stats);
    if (d !== undefined) parts.push({ kind: 'file', name: value, digest: d });
  }
  for (const f of tool.files) {
    const d = digestPath(resolve(root, f), root, stats);
    if (d === undefined) return err({ reason: 'tool-file-missing', tool: tool.name, path: f });
    parts.push({ kind: 'file', name: f, digest: d });
  }
  for (const name of tool.env) {
    const v = env[name];
    parts.push({ kind: 'env', name, digest: v === undefined ? 'unset' : digestBytes(v) });
  }
  const digest = digestFields(parts.flatMap((p) => [p.kind, p.name, p.digest]));
  return ok({ digest, parts, executable, hasDirectory: dirs.seen });
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
