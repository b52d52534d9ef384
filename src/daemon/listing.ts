// The existing files that match rule inputs (what Session.scan finds), kept current from
// the change tracker's events instead of re-reading the directories before every job: with
// 10,000 documents a scan reads 30,000 directory entries (~25 ms), and a build that wrote
// two outputs changed two of them.
//
// Only for patterns that Session.scan lists with one readdir per directory (plan/scan.ts);
// a pattern that needs a recursive search is always scanned afresh. The per-file rule
// below mirrors scan.ts: a regular file or symlink, not hidden, matching a pattern of its
// directory.
import { lstatSync } from 'node:fs';
import type { Pipeline } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import type { Pattern } from '../plan/pattern.js';

export class Listing {
  #pipeline: Pipeline | undefined;
  /** Scanned directory -> the input patterns listed from it. */
  #dirs = new Map<string, Pattern[]>();
  #files = new Set<string>();
  #array: string[] | undefined;

  /** The files, scanning when nothing is remembered for this pipeline or a directory is not heard. */
  async files(session: Session, pipeline: Pipeline, heard: (dir: string) => boolean): Promise<string[]> {
    if (this.#pipeline !== pipeline) {
      const dirs = scanDirs(pipeline);
      const files = await session.scan(pipeline);
      if (dirs === undefined || ![...dirs.keys()].every(heard)) {
        this.invalidate();
        return files;
      }
      this.#pipeline = pipeline;
      this.#dirs = dirs;
      this.#files = new Set(files);
      this.#array = files;
    }
    this.#array ??= [...this.#files];
    return this.#array;
  }

  /** Paths (project-relative) whose names came, went or moved: each is looked at again. */
  update(root: string, renamed: Iterable<string>): void {
    if (this.#pipeline === undefined) return;
    for (const key of renamed) {
      const slash = key.lastIndexOf('/');
      const patterns = this.#dirs.get(slash < 0 ? '' : key.slice(0, slash));
      if (patterns === undefined) continue;
      const name = key.slice(slash + 1);
      const st = name.startsWith('.') ? undefined : lstatSync(`${root}/${key}`, { throwIfNoEntry: false });
      const listed = st !== undefined && (st.isFile() || st.isSymbolicLink()) && patterns.some((p) => p.match(key) !== undefined);
      if (listed === this.#files.has(key)) continue;
      if (listed) this.#files.add(key);
      else this.#files.delete(key);
      this.#array = undefined;
    }
  }

  invalidate(): void {
    this.#pipeline = undefined;
    this.#files = new Set();
    this.#array = undefined;
  }
}

/**
 * The directories Session.scan lists with one readdir each, with their patterns; undefined
 * when a pattern needs a recursive search (the same test as plan/scan.ts).
 */
function scanDirs(pipeline: Pipeline): Map<string, Pattern[]> | undefined {
  const dirs = new Map<string, Pattern[]>();
  for (const r of pipeline.rules) {
    for (const p of r.inputs) {
      const slash = p.source.lastIndexOf('/');
      const dir = slash < 0 ? '' : p.source.slice(0, slash);
      const name = p.source.slice(slash + 1);
      if (/[*?[\]{}]/.test(dir) || dir.startsWith('/') || dir.split('/').includes('..') || dir.startsWith('.pipe') || (p.glob && /[[\]{}]|\*\*/.test(name))) return undefined;
      let list = dirs.get(dir);
      if (list === undefined) dirs.set(dir, (list = []));
      list.push(p);
    }
  }
  return dirs;
}
