// The one walk of a directory argument or `files` entry whose contents make up a tool's
// identity: every regular file below it, in a fixed order, skipping directories that never
// belong to a tool. Tool identities (src/hash) and `pipe run` identities both use it, so a
// tree means the same files to both. node:fs and node:path only (loaded by `pipe run`).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories inside a tool's directory that never hold what the tool loads. */
const SKIP_DIRS = new Set(['.pipe', '.git', 'node_modules', '__pycache__']);

export interface TreeFile {
  /** Path below the root, '/'-separated. */
  rel: string;
  abs: string;
}

/** Every regular file below `root` (not following links to directories), sorted by path. */
export function treeFiles(root: string): TreeFile[] {
  const out: TreeFile[] = [];
  const walk = (abs: string, rel: string): void => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable while walking: it contributes nothing
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(abs, e.name);
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p, r);
      } else if (e.isFile()) out.push({ rel: r, abs: p });
    }
  };
  walk(root, '');
  return out;
}
