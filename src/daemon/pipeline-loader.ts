// The daemon's current pipeline: loaded before a job when any file the config was loaded
// from changed (by stat signature, or by a file event naming it), and the directories the
// daemon must watch for that to be noticed. A config that reads the environment (or files,
// or the clock) is evaluated again for every job, in that job's client environment (applied
// to process.env before `ensure`): a build through the daemon means what it means without.
import { statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { Io } from '../commands/build.js';
import { fail } from '../commands/prepare.js';
import type { Pipeline } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import { staticPrefix } from '../watch/watch-loop.js';

export interface PipelineListener {
  /** A new pipeline was loaded. */
  pipelineChanged(): void;
  /** A file of the config changed on disk (it is reloaded before the next job). */
  configTouched(key: string): void;
}

export class PipelineLoader {
  readonly #root: string;
  readonly #config: string | null;
  readonly #session: Session;
  readonly #log: (line: string) => void;
  readonly #listeners: Iterable<PipelineListener>;
  /** Stat signature of the config's files when the pipeline was loaded; undefined: (re)load. */
  #sig: string | undefined;
  #keys = new Set<string>();
  #ok = false;

  constructor(root: string, config: string | null, session: Session, log: (line: string) => void, listeners: Iterable<PipelineListener>) {
    this.#root = root;
    this.#config = config;
    this.#session = session;
    this.#log = log;
    this.#listeners = listeners;
  }

  /** The current pipeline, reloaded if its files changed; a number is the exit code of a config that does not load. */
  async ensure(io: Io): Promise<Pipeline | number> {
    const session = this.#session;
    const before = session.pipeline;
    if (this.#ok && before !== undefined && !session.configDynamic && this.#sig === signature(session.configDependencies)) return before;
    const first = this.#sig === undefined && !this.#ok;
    const r = await session.loadPipeline();
    if (!r.ok) {
      this.#ok = false;
      this.#sig = undefined;
      this.#log(`config does not load: ${r.error.reason}`);
      return fail(r.error, io);
    }
    const wasOk = this.#ok;
    this.#ok = true;
    this.#sig = signature(session.configDependencies);
    this.#keys = new Set(session.configDependencies.map((d) => relative(this.#root, d)));
    // Evaluated again to the same pipeline (a dynamic config, a touched file): nothing to tell.
    if (wasOk && r.value === before) return r.value;
    if (!first) this.#log(`config reloaded from ${session.configDependencies.map((d) => relative(this.#root, d)).join(', ')}`);
    for (const l of this.#listeners) l.pipelineChanged();
    return r.value;
  }

  /** A file event: if it names a config file, reload before the next job. */
  fileEvent(key: string): void {
    // A config that never loaded has no known files yet: any config file name counts.
    const configLike = !this.#ok && (/^pipeline\.config\.m?[jt]s$/.test(key) || (this.#config !== null && key === relative(this.#root, this.#config)));
    if (!this.#keys.has(key) && !configLike) return;
    this.#sig = undefined;
    for (const l of this.#listeners) l.configTouched(key);
  }

  /** Directories worth watching before any file in them is known: sources, outputs, the config's. */
  extraDirs(pipeline: Pipeline): string[] {
    const dirs = new Set<string>(this.configDirs());
    for (const r of pipeline.rules) for (const p of [...r.inputs, ...r.outputs]) dirs.add(staticPrefix(p.source));
    return [...dirs];
  }

  /** Project-relative directories of the config's files (before it ever loaded: where it is looked for). */
  configDirs(): string[] {
    const deps = this.#session.configDependencies;
    const files = deps.length > 0 ? deps : [this.#config ?? join(this.#root, 'pipeline.config.ts')];
    const dirs = new Set<string>();
    for (const f of files) {
      const rel = relative(this.#root, f);
      if (!rel.startsWith('..') && !isAbsolute(rel)) dirs.add(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
    }
    return [...dirs];
  }
}

function signature(files: readonly string[]): string {
  return files
    .map((f) => {
      const st = statSync(f, { throwIfNoEntry: false });
      return st === undefined ? `${f}:missing` : `${f}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    })
    .join('\n');
}
