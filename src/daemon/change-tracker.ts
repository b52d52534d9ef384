// What the daemon knows changed since its last build. Without it, every build through the
// daemon would stat every file the state knows (tens of thousands) to find the few that
// changed; with it, a build stats only the files that saw an event.
//
// It watches, with one non-recursive fs.watch (inotify) per directory, every directory
// inside the root that holds a file the stat cache knows, plus the rules' source directories
// and the config's. An event names a file: the stat cache forgets that file, so the next
// build stats it again; every other file keeps the check it got in an earlier build of the
// same stat-cache generation. Where events cannot be trusted the next build starts a new
// generation and stats everything:
//
//   untrusted --prepare: new generation--> trusted --a new directory, a replaced directory,
//       ^                                     |      an event without a name, too many
//       +-------------------------------------+      events, a failed or dry-run job
//
// Files outside the watched directories (tools on PATH, symlinks) are stat'ed every build.
// This is a plain fs.watch, not chokidar: it needs only "which name in this directory
// changed", and chokidar would add a watcher and a stat per file (about 65 MB and a second
// at start for 10,000 sources).
import { lstatSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import type { StatCache } from '../hash/stat-cache.js';

/** More events than this between two builds: assume the kernel queue overflowed. */
const EVENT_LIMIT = 8192;

interface Watched {
  watcher: FSWatcher;
  ino: number;
}

export class ChangeTracker {
  readonly #root: string;
  readonly #onEvent: (key: string) => void;
  /** Project-relative directory ('' for the root) -> its watcher. */
  readonly #dirs = new Map<string, Watched>();
  /** Keys (project-relative paths) that saw an event since the last prepare(). */
  #changed = new Set<string>();
  /** Keys whose name appeared, disappeared or was renamed since the last prepare(). */
  #renamed = new Set<string>();
  #events = 0;
  #trusted = false;
  /** Per known key: 'watched' (an event names it when it changes) or 'external' (stat'ed every build). */
  readonly #class = new Map<string, 'watched' | 'external'>();
  /** The keys classified 'external', as of the last sync(). */
  #external: string[] = [];
  readonly #disabled: boolean;

  /** `onEvent` hears every project-relative path that changed (the daemon looks for its config). */
  constructor(root: string, onEvent: (key: string) => void, opts: { disabled?: boolean } = {}) {
    this.#root = root;
    this.#onEvent = onEvent;
    this.#disabled = opts.disabled ?? false;
  }

  /** The next build stats every file (after a failed or dry-run job, whose misses the cache remembers). */
  distrust(): void {
    this.#trusted = false;
  }

  /**
   * Before a job: tells the stat cache what may have changed. `all`: every file will be
   * stat'ed again (and any listing must be read again); otherwise only the files that saw
   * an event (and external ones), and `renamed` names the paths that came, went or moved.
   */
  prepare(stats: StatCache): { all: boolean; renamed: ReadonlySet<string> } {
    for (const [dir, w] of this.#dirs) {
      const st = statSync(this.#abs(dir), { throwIfNoEntry: false });
      if (st === undefined || st.ino !== w.ino) {
        // Removed or replaced (rm -rf out/): its watcher is dead, and so is what we knew.
        w.watcher.close();
        this.#dirs.delete(dir);
        this.#class.clear();
        this.#trusted = false;
        this.#watch(dir);
      }
    }
    const changed = this.#changed;
    const renamed = this.#renamed;
    this.#changed = new Set();
    this.#renamed = new Set();
    const overflow = this.#events > EVENT_LIMIT;
    this.#events = 0;
    if (this.#disabled || !this.#trusted || overflow) {
      stats.newGeneration();
      this.#trusted = true;
      return { all: true, renamed };
    }
    for (const key of changed) {
      stats.forget(key);
      this.#class.delete(key); // a file replaced by a symbolic link is external now
    }
    for (const key of this.#external) stats.forget(key);
    return { all: false, renamed };
  }

  /** True when `dir` (project-relative) has a live watcher: its listing changes are heard. */
  watching(dir: string): boolean {
    return this.#dirs.has(dir);
  }

  /**
   * After a job: watches `extraDirs` (project-relative) and the directory of every file the
   * stat cache knows, and lists the files no watcher covers. A directory watched for the
   * first time makes the next build stat everything: its files were checked before anyone
   * listened. Known files are classified once (one lstat each), so this costs a map lookup
   * per file.
   */
  sync(stats: StatCache, extraDirs: readonly string[]): void {
    if (this.#disabled) return;
    for (const d of extraDirs) if (inside(d) && !this.#dirs.has(d)) this.#watch(d);
    if (this.#class.size > 2 * stats.entries.size + 1024) this.#class.clear(); // drop deleted keys now and then
    const external: string[] = [];
    for (const key of stats.entries.keys()) {
      let c = this.#class.get(key);
      if (c === undefined) {
        c = this.#classify(key);
        this.#class.set(key, c);
      }
      if (c === 'external') external.push(key);
    }
    this.#external = external;
  }

  /** Directories watched (project-relative), for tests and the log. */
  get directories(): string[] {
    return [...this.#dirs.keys()];
  }

  close(): void {
    for (const w of this.#dirs.values()) w.watcher.close();
    this.#dirs.clear();
  }

  #classify(key: string): 'watched' | 'external' {
    if (!inside(key)) return 'external';
    const slash = key.lastIndexOf('/');
    const dir = slash < 0 ? '' : key.slice(0, slash);
    if (!this.#dirs.has(dir)) this.#watch(dir);
    if (!this.#dirs.has(dir)) return 'external';
    // A symbolic link's target can change without an event in this directory.
    return lstatSync(this.#abs(key), { throwIfNoEntry: false })?.isSymbolicLink() === true ? 'external' : 'watched';
  }

  #watch(dir: string): void {
    const abs = this.#abs(dir);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory()) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(abs, { persistent: false }, (type, name) => this.#event(dir, type, name));
    } catch {
      return; // unreadable, or out of inotify watches: its files stay external
    }
    watcher.on('error', () => this.#drop(dir));
    this.#dirs.set(dir, { watcher, ino: st.ino });
    this.#trusted = false;
  }

  #event(dir: string, type: string, name: string | Buffer | null): void {
    this.#events++;
    if (name === null) {
      this.#trusted = false;
      return;
    }
    const n = typeof name === 'string' ? name : name.toString('utf8');
    if (dir === '' && n === '.pipe') return;
    // inotify names the watched directory itself when it is removed or moved, and its watcher
    // is dead from then on. Its inode is often reused at once (rm -rf out && mkdir out), so
    // prepare() cannot tell by inode: drop it now (a file of the same name costs one full round).
    if (type === 'rename' && n === basename(this.#abs(dir))) this.#drop(dir);
    const key = dir === '' ? n : `${dir}/${n}`;
    this.#changed.add(key);
    if (type === 'rename') this.#renamed.add(key);
    this.#onEvent(key);
  }

  /** Forgets a directory whose watcher died: its files are stat'ed until sync() watches it again. */
  #drop(dir: string): void {
    this.#dirs.get(dir)?.watcher.close();
    this.#dirs.delete(dir);
    this.#class.clear();
    this.#trusted = false;
  }

  #abs(rel: string): string {
    return rel === '' ? this.#root : `${this.#root}/${rel}`;
  }
}

/** A project-relative path outside .pipe/ (absolute keys are files outside the root). */
function inside(key: string): boolean {
  return !key.startsWith('/') && key !== '.pipe' && !key.startsWith('.pipe/') && !key.startsWith('..');
}

/** Resolves after one turn of the event loop's poll phase, so file events already queued by the kernel have been heard. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
