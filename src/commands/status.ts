// `pipe status`: per rule, how many outputs are fresh, stale or missing (a dry run).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../engine/build.js';
import { processIo, type Io } from './build.js';
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
  const notFresh = new Set<string>();
  await runBuild(session, plan.tasks, {
    jobs: 1,
    keepGoing: true,
    dryRun: true,
    useCache: false,
    onEvent: (e) => {
      if (e.type === 'would-run') {
        const s = byRule.get(e.rule);
        if (s === undefined) return;
        notFresh.add(e.target);
        if (existsSync(join(session.root, e.target))) s.stale++;
        else s.missing++;
      } else if (e.type === 'fail') {
        notFresh.add(e.target);
        const s = byRule.get(e.rule);
        if (s !== undefined) s.blocked++;
      }
    },
  });
  for (const t of plan.tasks) {
    if (!notFresh.has(t.outputs[0] ?? '')) {
      const s = byRule.get(t.rule.name);
      if (s !== undefined) s.fresh++;
    }
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
    io.out(`${plan.orphans.length} orphaned output(s) whose source is gone (pipe clean removes them): ${plan.orphans.slice(0, 5).join(', ')}${plan.orphans.length > 5 ? ', ...' : ''}\n`);
  }
  return 0;
}
