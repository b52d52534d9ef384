// `pipe build [targets...]`: plan, select, run, report. Exit 0 only when every requested
// target is built or up to date.
import { join, relative, resolve } from 'node:path';
import { warmRunner } from '../engine/warm-runner.js';
import type { WarmPool } from '../tools/warm-pool.js';
import { runBuild } from '../engine/build.js';
import { explainUnmatched } from '../plan/explain-target.js';
import { normalizeTarget, selectTasks } from '../plan/graph.js';
import { createReporter, type ReportMode } from '../report/reporter.js';
import { load, planLoaded, type CommonOptions } from './prepare.js';

export interface BuildCommandOptions extends CommonOptions {
  targets: string[];
  jobs: number;
  keepGoing: boolean;
  dryRun: boolean;
  cache: boolean;
  mode: ReportMode;
}

export async function buildCommand(opts: BuildCommandOptions): Promise<number> {
  const l = await load(opts);
  if (typeof l === 'number') return l;
  const full = opts.targets.length === 0 && !opts.dryRun;
  const world = l.session.world(l.pipeline, l.existing);
  if (full) {
    const clean = l.session.knownClean(world);
    if (clean !== undefined) {
      // Nothing that decides the plan or any key changed since the last complete build.
      const reporter = await createReporter(opts.mode);
      reporter.event({ type: 'plan', tasks: clean.tasks });
      reporter.event({ type: 'done', ok: true, counts: { fresh: clean.tasks, built: 0, restored: 0, failed: 0, skipped: 0, 'would-run': 0 }, ms: 0, noPlan: true });
      await l.session.close();
      return 0;
    }
  }
  const p = await planLoaded(l);
  if (typeof p === 'number') return p;
  const { session, pipeline, plan } = p;
  try {
    const targets = opts.targets.map((t) => normalizeTarget(relativeTo(opts.root, t)));
    const sel = selectTasks(plan, targets);
    if (sel.unknown.length > 0) {
      for (const u of sel.unknown) {
        process.stderr.write(`pipe: cannot build ${u}:\n${explainUnmatched(pipeline, plan, u).map((l) => `  ${l}`).join('\n')}\n`);
      }
      return 1;
    }
    for (const s of sel.sources) process.stderr.write(`pipe: ${s} is a source file; nothing to build\n`);
    if (sel.tasks.length === 0 && opts.targets.length === 0) {
      const patterns = pipeline.rules.flatMap((r) => r.inputs.map((i) => i.source));
      process.stderr.write(`pipe: nothing to build: no file matches any rule input (${patterns.join(', ')})\n`);
      return 0;
    }
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    // `on`, not `once`: execa's signal-exit re-raises the signal when it finds itself the
    // only listener left, which would kill us before temp files are cleaned up.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const reporter = await createReporter(opts.mode);
    // Within one `pipe build`, warm instances live for the build (the daemon keeps them longer).
    const pool = !opts.dryRun && sel.tasks.some((t) => t.rule.tool.warm !== null) ? await openPool(session.pipeDir, opts.jobs) : undefined;
    let summary;
    try {
      summary = await runBuild(session, sel.tasks, {
        jobs: opts.jobs,
        keepGoing: opts.keepGoing,
        dryRun: opts.dryRun,
        useCache: opts.cache,
        signal: controller.signal,
        onEvent: (e) => reporter.event(e),
        runWarm: pool === undefined ? undefined : warmRunner(pool, session.root),
      });
    } finally {
      await pool?.close();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (controller.signal.aborted) return 130;
    if (full && summary.ok && !summary.treeIdentity) session.markClean({ world, tasks: sel.tasks.length });
    return summary.ok ? 0 : 1;
  } finally {
    await session.close();
  }
}

async function openPool(pipeDir: string, jobs: number): Promise<WarmPool> {
  const { WarmPool } = await import('../tools/warm-pool.js');
  return new WarmPool({ maxProcesses: jobs, logDir: join(pipeDir, 'logs') });
}

/** Targets are given relative to the shell's cwd; the plan speaks project-relative paths. */
export function relativeTo(root: string, target: string): string {
  const abs = resolve(process.cwd(), target);
  const rel = relative(resolve(root), abs);
  return rel.startsWith('..') ? target : rel === '' ? '.' : rel;
}
