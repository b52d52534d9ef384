// Watches directories with chokidar and reports each relevant file change by its
// project-relative path. Directories, never single files: an editor that saves by renaming
// a new file over the old one would otherwise end the watch after the first save
// (chokidar#138); a file asked for by name is watched through its directory.
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { isIgnoredPath } from './ignore.js';

export type ChangeKind = 'add' | 'change' | 'unlink';

export interface SourceWatcherOptions {
  root: string;
  /** Project-relative directories to watch recursively. */
  dirs: string[];
  /** True for a path (project-relative) that should never produce a change (outputs of rules). */
  excluded: (rel: string) => boolean;
  /** True for a file path whose change matters (a source, or a file the user named). */
  relevant: (rel: string) => boolean;
  onChange: (rel: string, kind: ChangeKind) => void;
  onError: (message: string) => void;
}

export class SourceWatcher {
  readonly #o: SourceWatcherOptions;
  #watcher: FSWatcher | undefined;

  constructor(o: SourceWatcherOptions) {
    this.#o = o;
  }

  /** Starts watching; resolves with the number of files watched once the initial scan is done. */
  async start(): Promise<number> {
    const { watch } = await import('chokidar');
    const { root, excluded, relevant } = this.#o;
    const rel = (p: string): string => relative(root, resolve(root, p));
    const dirs = this.#o.dirs.filter((d) => statSync(resolve(root, d), { throwIfNoEntry: false })?.isDirectory() === true);
    if (dirs.length === 0) return 0;
    const w = watch(
      dirs.map((d) => resolve(root, d)),
      {
        ignoreInitial: true,
        // Editors that save by rename: a file re-added within 100 ms is one 'change'.
        atomic: true,
        ignored: (path, stats) => {
          const r = rel(path);
          if (r === '' || r.startsWith('..')) return false;
          if (isIgnoredPath(r) || excluded(r)) return true;
          // Files nobody reads need no watcher of their own; directories are always walked.
          return stats !== undefined && stats.isFile() && !relevant(r);
        },
      },
    );
    this.#watcher = w;
    const report = (kind: ChangeKind) => (path: string) => {
      const r = rel(path);
      if (!isIgnoredPath(r) && !excluded(r) && relevant(r)) this.#o.onChange(r, kind);
    };
    w.on('add', report('add'));
    w.on('change', report('change'));
    w.on('unlink', report('unlink'));
    w.on('error', (e) => this.#o.onError(e instanceof Error ? e.message : String(e)));
    await new Promise<void>((r) => w.once('ready', () => r()));
    let files = 0;
    for (const [dir, names] of Object.entries(w.getWatched())) {
      for (const n of names) if (statSync(resolve(dir, n), { throwIfNoEntry: false })?.isFile() === true) files++;
    }
    return files;
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
    this.#watcher = undefined;
  }
}
