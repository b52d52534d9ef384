// `pipe clean [targets...]`: removes outputs and their records; `--cache` empties the cache;
// `--orphans` removes only the outputs whose source is gone.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeTarget } from '../plan/graph.js';
import { relativeTo } from './build.js';
import { prepare, type CommonOptions } from './prepare.js';

export interface CleanOptions extends CommonOptions {
  targets: string[];
  cache: boolean;
  /** Only outputs whose source is gone (what `pipe watch --prune` removes). */
  orphans?: boolean;
}

export async function cleanCommand(opts: CleanOptions): Promise<number> {
  const p = await prepare(opts);
  if (typeof p === 'number') return p;
  const { session, plan } = p;
  try {
    const targets = opts.targets.map((t) => normalizeTarget(relativeTo(opts.root, t)));
    const matches = (path: string): boolean => targets.length === 0 || targets.some((t) => t === '.' || path === t || path.startsWith(t.replace(/\/?$/, '/')));
    if (opts.orphans === true) {
      // The same outputs `pipe watch --prune` removes; a record is kept or removed whole.
      const { pruneOrphans } = await import('../watch/prune.js');
      const removed = await pruneOrphans(session, p.pipeline, plan, (o) => !matches(o));
      if (opts.cache) await session.cache.clear();
      process.stdout.write(`pipe: removed ${removed.length} orphaned output(s)${removed.length > 0 ? `: ${removed.join(', ')}` : ''}${opts.cache ? ' and emptied the cache' : ''}\n`);
      return 0;
    }
    let removed = 0;
    // Records know every output we ever wrote, including orphans the plan no longer derives.
    for (const [id, rec] of [...session.records]) {
      if (!rec.outputs.some(([o]) => matches(o))) continue;
      for (const [o] of rec.outputs) {
        rmSync(join(session.root, o), { force: true });
        session.stats.forget(o);
        removed++;
      }
      session.setRecord(id, null);
    }
    if (opts.cache) await session.cache.clear();
    process.stdout.write(`pipe: removed ${removed} output(s)${opts.cache ? ' and emptied the cache' : ''}\n`);
    return 0;
  } finally {
    await session.close();
  }
}
