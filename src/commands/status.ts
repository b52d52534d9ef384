// `pipe status`: per rule, how many outputs are fresh, stale or missing (a dry run).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../engine/build.js';
import { prepare, type CommonOptions } from './prepare.js';

export interface StatusOptions extends CommonOptions {
  json: boolean;
}

interface RuleStatus {
  fresh: number;
  stale: number;
  missing: number;
  blocked: number;
}

export async function statusCommand(opts: StatusOptions): Promise<number> {
  const p = await prepare(opts);
  if (typeof p === 'number') return p;
  const { session, pipeline, plan } = p;
  try {
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
    if (opts.json) {
      process.stdout.write(JSON.stringify({ rules: Object.fromEntries(byRule), orphans: plan.orphans }) + '\n');
      return 0;
    }
    const w = Math.max(4, ...[...byRule.keys()].map((k) => k.length));
    process.stdout.write(`${'rule'.padEnd(w)}  fresh  stale  missing  blocked\n`);
    for (const [name, s] of byRule) {
      process.stdout.write(`${name.padEnd(w)}  ${String(s.fresh).padStart(5)}  ${String(s.stale).padStart(5)}  ${String(s.missing).padStart(7)}  ${String(s.blocked).padStart(7)}\n`);
    }
    if (plan.orphans.length > 0) {
      process.stdout.write(`${plan.orphans.length} orphaned output(s) whose source is gone (pipe clean removes them): ${plan.orphans.slice(0, 5).join(', ')}${plan.orphans.length > 5 ? ', ...' : ''}\n`);
    }
    return 0;
  } finally {
    await session.close();
  }
}
