// Where a pipeline's sources live: the directories of the rules' source patterns (watched
// by `pipe watch`), and which of them do not exist, so a typo (`dat/{doc}.txt`) is named
// with the directory it probably meant instead of passing as "nothing to build".
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Pipeline } from '../config/validate.js';
import { closest } from '../util/closest.js';

/** Directories of the rules' source patterns: inputs that no rule's output pattern also names. */
export function sourceDirs(pipeline: Pipeline): string[] {
  const shape = (s: string): string => s.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, '*');
  const produced = new Set(pipeline.rules.flatMap((r) => r.outputs.map((p) => shape(p.source))));
  const dirs = new Set<string>();
  for (const r of pipeline.rules) {
    for (const p of r.inputs) if (!produced.has(shape(p.source))) dirs.add(staticPrefix(p.source));
  }
  return [...dirs].sort();
}

/** The directory part of a pattern before its first wildcard or glob ('' for the root). */
export function staticPrefix(source: string): string {
  const fixed: string[] = [];
  for (const part of source.split('/').slice(0, -1)) {
    if (/[{*?[]/.test(part)) break;
    fixed.push(part);
  }
  return fixed.join('/');
}

export interface MissingDir {
  /** The missing directory, relative to the root. */
  dir: string;
  rule: string;
  pattern: string;
  /** The existing directory most like it: a similarly named sibling, else its deepest existing ancestor ('' for the root). */
  closest: string;
}

/** Source directories (one per directory, first rule naming it) that do not exist under root. */
export function missingSourceDirs(root: string, pipeline: Pipeline): MissingDir[] {
  const wanted = new Set(sourceDirs(pipeline));
  const found = new Map<string, MissingDir>();
  for (const r of pipeline.rules) {
    for (const p of r.inputs) {
      const dir = staticPrefix(p.source);
      if (dir === '' || !wanted.has(dir) || found.has(dir) || isDir(join(root, dir))) continue;
      found.set(dir, { dir, rule: r.name, pattern: p.source, closest: closestExisting(root, dir) });
    }
  }
  return [...found.values()];
}

export function missingDirMessage(m: MissingDir): string {
  return `${m.dir}/ does not exist (rule ${m.rule}, input ${m.pattern}); the closest existing directory is ${m.closest === '' ? './' : `${m.closest}/`}`;
}

function closestExisting(root: string, dir: string): string {
  const parts = dir.split('/');
  let base = '';
  let i = 0;
  for (; i < parts.length; i++) {
    const next = base === '' ? (parts[i] ?? '') : `${base}/${parts[i] ?? ''}`;
    if (!isDir(join(root, next))) break;
    base = next;
  }
  const missing = parts[i] ?? '';
  let siblings: string[] = [];
  try {
    siblings = readdirSync(join(root, base), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name);
  } catch {
    // Unreadable: the ancestor itself is the best we can name.
  }
  const like = closest(missing, siblings, 1)[0];
  return like === undefined ? base : base === '' ? like : `${base}/${like}`;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
