// `pipe build [targets...]`: plan, select, run, report. Exit 0 only when every requested
// target is built or up to date.
//
// `executeBuild` works on an open session and writes through an `Io` and an event sink, so
// the daemon can run it for a client with its long-lived session and warm pool;
// `buildCommand` is the standalone CLI path around it.
import { join, relative, resolve } from 'node:path';
import type { BuildEvent, BuildSummary } from '../engine/build.js';
import type { Task } from '../plan/graph.js';
import { coneOf } from '../plan/plan-index.js';
import { runBuild } from '../engine/build.js';
import type { Session } from '../engine/session.js';
import { warmRunner } from '../engine/warm-runner.js';
import { explainUnmatched } from '../plan/explain-target.js';
import { normalizeTarget, selectTasks } from '../plan/graph.js';
import { createReporter, type ReportMode } from '../report/reporter.js';
import { phase } from '../report/timings.js';
import type { WarmPool } from '../tools/warm-pool.js';
import { load, planLoaded, type CommonOptions } from './prepare.js';

export interface BuildRequest {
  /** Project-relative target paths (see `relativeTo`). */
  targets: string[];
  jobs: number;
  keepGoing: boolean;
  dryRun: boolean;
  cache: boolean;
}

export interface BuildCommandOptions extends CommonOptions, BuildRequest {
  mode: ReportMode;
}

/** Where a command's messages go: the terminal, or a daemon's client. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export interface ExecuteOptions {
  /** A long-lived pool (daemon); absent: one is opened for this build if needed and closed after. */
  pool?: WarmPool | undefined;
  signal?: AbortSignal | undefined;
  /** Already scanned existing files (the CLI scans while loading). */
  existing?: string[] | undefined;
}

/** Runs one build on an open session whose pipeline is loaded. Returns the exit code. */
export async function executeBuild(session: Session, req: BuildRequest, io: Io, onEvent: (e: BuildEvent) => void, x: ExecuteOptions = {}): Promise<number> {
  const pipeline = session.pipeline;
  if (pipeline === undefined) throw new Error('executeBuild: the session has no pipeline loaded');
  const existing = x.existing ?? (await session.scan(pipeline));
  const full = req.targets.length === 0 && !req.dryRun;
  const world = session.world(pipeline, existing);
  // Incremental fast paths, valid only while the world of the last complete build holds.
  const marker = full ? session.cleanFor(world) : undefined;
  let cone: { tasks: Task[]; total: number } | undefined;
  if (marker !== undefined) {
    const changed = session.stats.verifyAll(session.root);
    phase('clean-check');
    if (changed.length === 0) {
      // Nothing that decides the plan or any key changed since the last complete build.
      onEvent({ type: 'plan', tasks: marker.tasks });
      onEvent({ type: 'done', ok: true, counts: { fresh: marker.tasks, built: 0, restored: 0, failed: 0, skipped: 0, 'would-run': 0 }, ms: 0, noPlan: true });
      return 0;
    }
    const graph = session.indexGraph(world);
    cone = graph === undefined ? undefined : coneOf(graph, changed);
    phase('cone');
  }
  if (cone !== undefined) {
    const summary = await runSelected(session, cone.tasks, req, onEvent, x, cone.total - cone.tasks.length);
    if (x.signal?.aborted === true) return 130;
    if (summary.ok && !summary.treeIdentity) session.markClean({ world, tasks: cone.total });
    return summary.ok ? 0 : 1;
  }
  const p = await planLoaded({ session, pipeline, existing }, io);
  if (typeof p === 'number') return p;
  const { plan } = p;
  const targets = req.targets.map(normalizeTarget);
  const sel = selectTasks(plan, targets);
  if (sel.unknown.length > 0) {
    for (const u of sel.unknown) io.err(`pipe: cannot build ${u}:\n${explainUnmatched(pipeline, plan, u).map((l) => `  ${l}`).join('\n')}\n`);
    return 1;
  }
  for (const s of sel.sources) io.err(`pipe: ${s} is a source file; nothing to build\n`);
  if (sel.tasks.length === 0 && req.targets.length === 0) {
    const patterns = pipeline.rules.flatMap((r) => r.inputs.map((i) => i.source));
    io.err(`pipe: nothing to build: no file matches any rule input (${patterns.join(', ')})\n`);
    return 0;
  }
  const summary = await runSelected(session, sel.tasks, req, onEvent, x, 0);
  if (x.signal?.aborted === true) return 130;
  if (full && summary.ok && !summary.treeIdentity) {
    session.markClean({ world, tasks: sel.tasks.length });
    session.savePlanIndex(world, plan.tasks);
  }
  return summary.ok ? 0 : 1;
}

async function runSelected(session: Session, tasks: Task[], req: BuildRequest, onEvent: (e: BuildEvent) => void, x: ExecuteOptions, alreadyFresh: number): Promise<BuildSummary> {
  // Within one standalone `pipe build`, warm instances live for the build.
  const ownPool = x.pool === undefined && !req.dryRun && tasks.some((t) => t.rule.tool.warm !== null) ? await openPool(session.pipeDir, req.jobs) : undefined;
  const pool = x.pool ?? ownPool;
  try {
    return await runBuild(session, tasks, {
      jobs: req.jobs,
      keepGoing: req.keepGoing,
      dryRun: req.dryRun,
      useCache: req.cache,
      signal: x.signal,
      onEvent,
      warm: pool === undefined ? undefined : warmRunner(pool, session.root),
      alreadyFresh,
    });
  } finally {
    await ownPool?.close();
    phase('run');
  }
}

export async function buildCommand(opts: BuildCommandOptions): Promise<number> {
  const l = await load(opts);
  if (typeof l === 'number') return l;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  // `on`, not `once`: execa's signal-exit re-raises the signal when it finds itself the
  // only listener left, which would kill us before temp files are cleaned up.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const reporter = await createReporter(opts.mode);
    const req: BuildRequest = { ...opts, targets: opts.targets.map((t) => relativeTo(opts.root, t)) };
    return await executeBuild(l.session, req, processIo, (e) => reporter.event(e), { signal: controller.signal, existing: l.existing });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await l.session.close();
    phase('close');
  }
}

export async function openPool(pipeDir: string, jobs: number): Promise<WarmPool> {
  const { WarmPool } = await import('../tools/warm-pool.js');
  return new WarmPool({ maxProcesses: jobs, logDir: join(pipeDir, 'logs') });
}

/** Targets are given relative to the shell's cwd; the plan speaks project-relative paths. */
export function relativeTo(root: string, target: string): string {
  const abs = resolve(process.cwd(), target);
  const rel = relative(resolve(root), abs);
  return rel.startsWith('..') ? target : rel === '' ? '.' : rel;
}
