// Finds the existing files that rule input patterns may match. A pattern confined to one
// directory (`data/{doc}.txt`, `out/*.parse`) is one readdir; anything deeper goes to
// fast-glob. One readdir per directory, however many rules read it.
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import type { Pattern } from './pattern.js';

const IGNORE = ['.pipe/**', '**/node_modules/**'];

export async function scanExisting(root: string, patterns: readonly Pattern[]): Promise<string[]> {
  const byDir = new Map<string, Pattern[]>();
  const deep: string[] = [];
  for (const p of patterns) {
    const dir = posix.dirname(p.source);
    const simpleDir = !/[*?[\]{}]/.test(dir) && !dir.startsWith('/') && !dir.split('/').includes('..') && !dir.startsWith('.pipe');
    const simpleName = !p.glob || !/[[\]{}]|\*\*/.test(posix.basename(p.source));
    if (simpleDir && simpleName) {
      let list = byDir.get(dir);
      if (list === undefined) byDir.set(dir, (list = []));
      list.push(p);
    } else deep.push(p.scan);
  }
  const found = new Set<string>();
  for (const [dir, pats] of byDir) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir === '.' ? root : `${root}/${dir}`, { withFileTypes: true });
    } catch {
      continue;
    }
    const prefix = dir === '.' ? '' : `${dir}/`;
    for (const e of entries) {
      if (!(e.isFile() || e.isSymbolicLink()) || e.name.startsWith('.')) continue;
      const rel = prefix + e.name;
      for (const p of pats) {
        if (p.match(rel) !== undefined) {
          found.add(rel);
          break;
        }
      }
    }
  }
  if (deep.length > 0) {
    const fg = (await import('fast-glob')).default;
    for (const f of await fg(deep, { cwd: root, onlyFiles: true, ignore: IGNORE, followSymbolicLinks: true })) found.add(f);
  }
  return [...found];
}
