// `pipe build [targets...]`: plan, select, run, report. Exit 0 only when every requested
// target is built or up to date.
//
// `executeBuild` works on an open session and writes through an `Io` and an event sink, so
// the daemon can run it for a client with its long-lived session and warm pool;
// `buildCommand` is the standalone CLI path around it.
import { join, relative, resolve } from 'node:path';
import type { BuildEvent } from '../engine/events.js';
import { fastPath, recordOutcome } from '../engine/incremental.js';
import { runBuild, type BuildSummary } from '../engine/scheduler.js';
import type { Task } from '../plan/graph.js';
import type { Session } from '../engine/session.js';
import { formatTaskFailure } from '../report/format-failure.js';
import { warmRunner } from '../engine/warm-runner.js';
import { explainUnmatched } from '../plan/explain-target.js';
import { normalizeTarget, selectTasks } from '../plan/graph.js';
import { createReporter, type ReportMode } from '../report/reporter.js';
import { phase } from '../report/timings.js';
import type { WarmPool } from '../tools/warm-pool.js';
import { missingDirMessage, missingSourceDirs } from '../watch/source-dirs.js';
import { warnUncoveredOnce } from './identity-notes.js';
import { processIo, type Io } from './io.js';
import { load, planLoaded, type CommonOptions } from './prepare.js';

export type { Io } from './io.js';

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
  const recovered = await session.recover();
  if (!recovered.ok) {
    io.err(`pipe: ${formatTaskFailure(recovered.error)}\n`);
    return 1;
  }
  const existing = x.existing ?? (await session.scan(pipeline));
  const full = req.targets.length === 0 && !req.dryRun;
  const path = fastPath(session, pipeline, existing, full);
  if (path.kind === 'no-op') {
    onEvent({ type: 'plan', tasks: path.tasks });
    onEvent({ type: 'done', ok: true, counts: { fresh: path.tasks, built: 0, restored: 0, failed: 0, skipped: 0, 'would-run': 0 }, ms: 0, noPlan: true });
    return 0;
  }
  if (path.kind === 'cone') {
    const summary = await runSelected(session, path.tasks, req, onEvent, x, path.total - path.tasks.length);
    if (x.signal?.aborted === true) return 130;
    recordOutcome(session, path, summary, undefined);
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
    // A source directory that does not exist is most likely a typo in the config, not an empty corpus.
    const missing = missingSourceDirs(session.root, pipeline);
    for (const m of missing) io.err(`pipe: ${missingDirMessage(m)}\n`);
    return missing.length > 0 ? 1 : 0;
  }
  const summary = await runSelected(session, sel.tasks, req, onEvent, x, 0);
  if (x.signal?.aborted === true) return 130;
  warnUncoveredOnce(session, sel.tasks, io);
  if (full) recordOutcome(session, path, summary, sel.tasks);
  return summary.ok ? 0 : 1;
}

async function runSelected(session: Session, tasks: Task[], req: BuildRequest, onEvent: (e: BuildEvent) => void, x: ExecuteOptions, alreadyFresh: number): Promise<BuildSummary> {
  // Within one standalone `pipe build`, warm instances live for the build.
  const ownPool = x.pool === undefined && !req.dryRun && tasks.some((t) => t.rule.tool.warm !== null) ? await openPool(session.pipeDir, req.jobs) : undefined;
  const pool = x.pool ?? ownPool;
  // A warm tool that owes an answer and stays silent is named while the build waits for it.
  const unlisten = pool?.listen((e) => {
    if (e.kind === 'warm-waiting') onEvent({ type: 'warm-waiting', tool: e.tool, pid: e.pid, awaiting: e.awaiting, record: e.record, quietMs: e.quietMs, deadlineMs: e.deadlineMs });
  });
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
    unlisten?.();
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
