// `pipe why TARGET`: a dry run of the target's closure, reporting why each stale task would
// run (input changed, tool file changed, command changed, output missing or edited, never built).
import type { BuildEvent } from '../engine/events.js';
import { runBuild } from '../engine/scheduler.js';
import { explainUnmatched } from '../plan/explain-target.js';
import { normalizeTarget, selectTasks } from '../plan/graph.js';
import { relativeTo } from './build.js';
import { coverageNote } from './identity-notes.js';
import { processIo, type Io } from './io.js';
import { prepare, type CommonOptions, type Prepared } from './prepare.js';

export interface WhyRequest {
  /** Project-relative. */
  target: string;
  json: boolean;
}

export interface WhyOptions extends CommonOptions, WhyRequest {}

export async function whyCommand(opts: WhyOptions): Promise<number> {
  const p = await prepare(opts);
  if (typeof p === 'number') return p;
  try {
    return await executeWhy(p, { target: relativeTo(opts.root, opts.target), json: opts.json }, processIo);
  } finally {
    await p.session.close();
  }
}

/** Explains one target on a prepared session (the CLI's own, or the daemon's). */
export async function executeWhy(p: Prepared, req: WhyRequest, io: Io): Promise<number> {
  const { session, pipeline, plan } = p;
  const target = normalizeTarget(req.target);
  if (plan.sources.has(target)) {
    io.out(`${target} is a source file: no rule builds it\n`);
    return 0;
  }
  const sel = selectTasks(plan, [target]);
  const task = plan.byOutput.get(target);
  if (task === undefined || sel.unknown.length > 0) {
    io.err(`pipe: no task builds ${target}:\n${explainUnmatched(pipeline, plan, target).map((l) => `  ${l}`).join('\n')}\n`);
    return 1;
  }
  const events: Extract<BuildEvent, { type: 'would-run' | 'fail' }>[] = [];
  await runBuild(session, sel.tasks, {
    jobs: 1,
    keepGoing: true,
    dryRun: true,
    useCache: false,
    onEvent: (e) => {
      if (e.type === 'would-run' || e.type === 'fail') events.push(e);
    },
  });
  if (req.json) {
    io.out(JSON.stringify({ target, rule: task.rule.name, stale: events.map((e) => e.type === 'would-run' ? { rule: e.rule, target: e.target, reasons: e.reasons } : { rule: e.rule, target: e.target, failure: e.failure }) }) + '\n');
    return 0;
  }
  const own = events.find((e) => e.target === task.outputs[0]);
  const note = coverageNote(session, task.rule.tool);
  const noteLine = note === undefined ? undefined : `note: ${note}\n`;
  if (own === undefined) {
    const detail = await session.store.getDetail(task.id);
    io.out(`${target} is up to date (rule ${task.rule.name}${detail !== undefined ? `, built ${new Date(detail.builtAt).toISOString()}` : ''}): its inputs, tool and command are unchanged and its outputs are intact\n`);
    if (noteLine !== undefined) io.out(noteLine);
    return 0;
  }
  io.out(`${target} is stale (rule ${task.rule.name}):\n`);
  for (const e of events) {
    const prefix = e.target === own.target ? '' : `upstream ${e.rule} ${e.target}: `;
    if (e.type === 'would-run') for (const r of e.reasons) io.out(`  - ${prefix}${r}\n`);
    else io.out(`  - ${prefix}cannot run: ${e.failure.reason}\n`);
  }
  if (noteLine !== undefined) io.out(noteLine);
  return 0;
}
