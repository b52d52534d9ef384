// `pipe status`: per rule, how many outputs are fresh, stale or missing (a dry run).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../engine/scheduler.js';
import { processIo, type Io } from './io.js';
import { prepare, type CommonOptions, type Prepared } from './prepare.js';

export interface StatusRequest {
  json: boolean;
}

export interface StatusOptions extends CommonOptions, StatusRequest {}

interface RuleStatus {
  fresh: number;
  stale: number;
  missing: number;
  blocked: number;
}

export async function statusCommand(opts: StatusOptions): Promise<number> {
  const p = await prepare(opts);
  if (typeof p === 'number') return p;
  try {
    return await executeStatus(p, opts, processIo);
  } finally {
    await p.session.close();
  }
}

/** Reports per-rule freshness on a prepared session (the CLI's own, or the daemon's). */
export async function executeStatus(p: Prepared, req: StatusRequest, io: Io): Promise<number> {
  const { session, pipeline, plan } = p;
  const byRule = new Map<string, RuleStatus>(pipeline.rules.map((r) => [r.name, { fresh: 0, stale: 0, missing: 0, blocked: 0 }]));
  const summary = await runBuild(session, plan.tasks, {
    jobs: 1,
    keepGoing: true,
    dryRun: true,
    useCache: false,
    onEvent: () => {},
  });
  // Fresh means evaluated and found fresh: a task behind a failed or blocked upstream is blocked.
  for (const t of plan.tasks) {
    const s = byRule.get(t.rule.name);
    if (s === undefined) continue;
    const outcome = summary.outcomes.get(t);
    if (outcome === 'fresh') s.fresh++;
    else if (outcome === 'would-run') {
      if (existsSync(join(session.root, t.outputs[0] ?? ''))) s.stale++;
      else s.missing++;
    } else s.blocked++;
  }
  if (req.json) {
    io.out(JSON.stringify({ rules: Object.fromEntries(byRule), orphans: plan.orphans }) + '\n');
    return 0;
  }
  const w = Math.max(4, ...[...byRule.keys()].map((k) => k.length));
  io.out(`${'rule'.padEnd(w)}  fresh  stale  missing  blocked\n`);
  for (const [name, s] of byRule) {
    io.out(`${name.padEnd(w)}  ${String(s.fresh).padStart(5)}  ${String(s.stale).padStart(5)}  ${String(s.missing).padStart(7)}  ${String(s.blocked).padStart(7)}\n`);
  }
  if (plan.orphans.length > 0) {
    io.out(`${plan.orphans.length} orphaned output(s) whose source is gone (pipe clean --orphans removes them): ${plan.orphans.slice(0, 5).join(', ')}${plan.orphans.length > 5 ? ', ...' : ''}\n`);
  }
  return 0;
}
