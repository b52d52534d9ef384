// `pipe watch`, inside the daemon: builds once, then rebuilds after every batch of source
// changes, printing one line per rebuild (watch-line.ts). Builds go through the daemon's
// job queue like any client's, so a watch and `pipe build` calls never race.
//
// Why in the daemon and not in the foreground process: the daemon owns the state store
// (LevelDB admits one process), so a foreground watcher would either lock every `pipe
// build` out or have to serve them itself, which is to say be the daemon. In the daemon,
// the watch shares the warm tools with those builds, and its client is a thin process
// that prints lines; Ctrl-C (or a closed terminal) ends the watch, not the daemon.
//
//   starting --initial build (sets up the watcher)--> building --done, nothing pending--> idle
//                                  ^   \--done, changes pending--> debouncing
//                                  |                                   |
//                                  +------- quiet for DEBOUNCE_MS -----+  <--change-- idle
//   any --close()--> closed
//
// A batch ends when no change arrived for DEBOUNCE_MS (or MAX_WAIT_MS after its first
// change, so a stream of writes cannot postpone the build forever). Changes that arrive
// during a build form the next batch: the build sees files as they are when it runs, and a
// file written while it ran is built again with its final content. Content hashing makes
// a save without a change (touch, an editor's no-op save) rebuild nothing.
import { existsSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { executeBuild, type Io } from '../commands/build.js';
import type { Pipeline } from '../config/validate.js';
import type { BuildEvent } from '../engine/events.js';
import type { Session } from '../engine/session.js';
import type { WarmPool } from '../tools/warm-pool.js';
import { unreachable } from '../util/result.js';
import { FailedStages, withDependents } from './failed-stages.js';
import { missingDirMessage, missingSourceDirs, sourceDirs } from './source-dirs.js';

export { sourceDirs, staticPrefix } from './source-dirs.js';
import { pruneOrphans } from './prune.js';
import { SourceWatcher, type ChangeKind } from './source-watcher.js';
import { describeTrigger, formatRebuild, type RebuildSummary } from './watch-line.js';

export const DEBOUNCE_MS = 30;
export const MAX_WAIT_MS = 300;

/** What a watch needs from the daemon. */
export interface WatchHost {
  readonly root: string;
  readonly session: Session;
  readonly pool: WarmPool;
  exclusive(env: Record<string, string>, io: Io, signal: AbortSignal | undefined, fn: (pipeline: Pipeline) => Promise<number>): Promise<number>;
  /** The existing files matching rule inputs (remembered while nothing changed them). */
  scan(pipeline: Pipeline): Promise<string[]>;
}

export interface WatchRequest {
  /** Project-relative paths; empty: the directories of the rules' source patterns. */
  paths: string[];
  prune: boolean;
  jobs: number;
  env: Record<string, string>;
}

type WatchState = 'starting' | 'idle' | 'debouncing' | 'building' | 'closed';

export class WatchLoop {
  readonly #host: WatchHost;
  readonly #req: WatchRequest;
  readonly #io: Io;
  #state: WatchState = 'starting';
  /** Changes not yet built, by project-relative path. */
  #pending = new Map<string, ChangeKind>();
  /** A config file that changed since the last build. */
  #config: string | undefined;
  #firstChangeAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #watcher: SourceWatcher | undefined;
  /** The pipeline the watcher was set up for; another one (config reloaded) means set it up again. */
  #watchedFor: Pipeline | undefined;
  readonly #abort = new AbortController();
  readonly #failed = new FailedStages();
  #closed: (() => void) | undefined;

  constructor(host: WatchHost, req: WatchRequest, io: Io) {
    this.#host = host;
    this.#req = req;
    this.#io = io;
  }

  /** Watches until close(); the first build runs as soon as the watcher is ready. */
  async run(): Promise<void> {
    const done = new Promise<void>((r) => (this.#closed = r));
    await this.#rebuild('initial build', { initial: true });
    await done;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#watcher?.close();
    this.#watcher = undefined;
    this.#closed?.();
  }

  /** State checks after an await: TypeScript keeps the narrowing from before it. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  /** The daemon reloaded the config: the next build sets the watcher up again. */
  pipelineChanged(): void {
    this.#watchedFor = undefined;
  }

  /** A file the config was loaded from saw an event. */
  configTouched(key: string): void {
    this.#config = key;
    this.#changed();
  }

  #onChange(rel: string, kind: ChangeKind): void {
    const before = this.#pending.get(rel);
    // unlink then add is a replaced file: a change.
    this.#pending.set(rel, before === 'unlink' && kind === 'add' ? 'change' : before === 'add' && kind === 'change' ? 'add' : kind);
    this.#changed();
  }

  #changed(): void {
    switch (this.#state) {
      case 'idle':
      case 'debouncing':
        this.#debounce();
        break;
      case 'starting':
      case 'building':
        // Picked up when the build ends.
        this.#firstChangeAt ??= performance.now();
        break;
      case 'closed':
        break;
      default:
        unreachable(this.#state);
    }
  }

  #debounce(): void {
    this.#state = 'debouncing';
    const now = performance.now();
    this.#firstChangeAt ??= now;
    clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, this.#firstChangeAt + MAX_WAIT_MS - now));
    this.#timer = setTimeout(() => void this.#flush(), wait);
  }

  async #flush(): Promise<void> {
    const changes = new Map<string, 'changed' | 'added' | 'deleted'>();
    for (const [p, k] of this.#pending) changes.set(p, !existsSync(`${this.#host.root}/${p}`) ? 'deleted' : k === 'add' ? 'added' : 'changed');
    const config = this.#config;
    this.#pending = new Map();
    this.#config = undefined;
    this.#firstChangeAt = undefined;
    await this.#rebuild(describeTrigger(changes, config), { deleted: [...changes.values()].includes('deleted') });
  }

  /** One build; `deleted` (a source went away) and `initial` are when --prune looks for orphans. */
  async #rebuild(trigger: string, why: { initial?: boolean; deleted?: boolean }): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'building';
    const started = performance.now();
    const s: RebuildSummary = { trigger, built: [], restored: [], failed: [], notRetried: [], pruned: [], cancelled: false, configError: false, ms: 0 };
    const onEvent = (e: BuildEvent): void => {
      if (e.type === 'finish' && e.outcome === 'built') s.built.push(e.target);
      else if (e.type === 'finish' && e.outcome === 'restored') s.restored.push(e.target);
      else if (e.type === 'fail' && e.failure.reason !== 'cancelled') s.failed.push({ rule: e.rule, target: e.target, failure: e.failure });
    };
    const host = this.#host;
    const signal = this.#abort.signal;
    let ran = false;
    const code = await host.exclusive(this.#req.env, this.#io, signal, async (pipeline) => {
      ran = true;
      if (this.#watchedFor !== pipeline) await this.#watch(pipeline);
      const session = host.session;
      let targets: string[] = [];
      if (this.#failed.size > 0) {
        const plan = session.plan(pipeline, await host.scan(pipeline));
        if (plan.ok) {
          const same = this.#failed.unchanged(session, plan.value);
          if (same.length > 0) {
            s.notRetried = same.map((t) => t.outputs[0] ?? '');
            const skip = withDependents(same);
            targets = plan.value.tasks.filter((t) => !skip.has(t)).map((t) => t.outputs[0] ?? '');
            if (targets.length === 0) return 1;
          }
        }
      }
      const code = await executeBuild(session, { targets, jobs: this.#req.jobs, keepGoing: true, dryRun: false, cache: true }, this.#io, onEvent, { pool: host.pool, signal, existing: await host.scan(pipeline) });
      if (signal.aborted) return code;
      if (s.failed.length > 0 || this.#failed.size > 0 || (this.#req.prune && (why.deleted === true || why.initial === true))) {
        const plan = session.plan(pipeline, await host.scan(pipeline));
        if (plan.ok) {
          this.#failed.update(session, plan.value, s.failed.map((f) => f.target), [...s.built, ...s.restored]);
          if (this.#req.prune) s.pruned = await pruneOrphans(session, pipeline, plan.value);
        }
      }
      return code;
    });
    if (this.#isClosed()) return;
    s.configError = !ran && code === 2;
    s.cancelled = signal.aborted;
    s.ms = performance.now() - started;
    this.#io.out(formatRebuild(s));
    if (this.#pending.size > 0 || this.#config !== undefined) this.#debounce();
    else this.#state = 'idle';
  }

  /** (Re)creates the watcher for this pipeline; the paths' files as they are now are what the build sees. */
  async #watch(pipeline: Pipeline): Promise<void> {
    await this.#watcher?.close();
    const inputs = pipeline.rules.flatMap((r) => r.inputs);
    const outputs = pipeline.rules.flatMap((r) => r.outputs);
    const isOutput = (rel: string): boolean => outputs.some((p) => p.match(rel) !== undefined);
    let dirs: string[];
    let relevant: (rel: string) => boolean;
    if (this.#req.paths.length > 0) {
      const { dirs: d, files } = splitPaths(this.#host.root, this.#req.paths);
      for (const p of this.#req.paths) if (!existsSync(`${this.#host.root}/${p}`)) this.#io.err(`pipe: watch: ${p} does not exist; not watched\n`);
      dirs = [...new Set([...d, ...[...files].map(parentDir)])];
      relevant = (rel) => files.has(rel) || d.some((x) => x === '' || rel === x || rel.startsWith(`${x}/`));
    } else {
      dirs = sourceDirs(pipeline);
      relevant = (rel) => inputs.some((p) => p.match(rel) !== undefined);
    }
    const watcher = new SourceWatcher({
      root: this.#host.root,
      dirs,
      excluded: isOutput,
      relevant,
      onChange: (rel, kind) => this.#onChange(rel, kind),
      onError: (m) => this.#io.err(`pipe: watch: ${m}\n`),
    });
    this.#watcher = watcher;
    this.#watchedFor = pipeline;
    const files = await watcher.start();
    if (this.#isClosed()) return void (await watcher.close());
    if (this.#req.paths.length === 0) for (const m of missingSourceDirs(this.#host.root, pipeline)) this.#io.err(`pipe: watch: ${missingDirMessage(m)}\n`);
    this.#io.out(`pipe: watching ${dirs.length > 0 ? dirs.map((d) => (d === '' ? './' : `${d}/`)).join(', ') : 'nothing (no source directory exists)'} (${files} files); Ctrl-C to stop\n`);
  }
}

function parentDir(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function splitPaths(root: string, paths: readonly string[]): { dirs: string[]; files: Set<string> } {
  const dirs: string[] = [];
  const files = new Set<string>();
  for (const raw of paths) {
    const p = raw === '.' ? '' : raw.replace(/\/+$/, '');
    if (existsSync(`${root}/${p}`) && !isDir(`${root}/${p}`)) files.add(p);
    else dirs.push(p);
  }
  return { dirs, files };
}

function isDir(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
}
