// The one line a watch prints per rebuild: when, what triggered it, what happened, how long.
//   [14:02:11] data/03.txt changed: built out/03.tok, out/03.parse, out/corpus.stats (41ms)
//   [14:02:15] data/04.txt changed: up to date (6ms)
//   [14:02:20] data/05.txt changed: 1 FAILED, built out/05.tok (30ms)
//     FAILED parse out/05.parse: exited with status 4; stderr (last 2 lines): ...
import type { TaskFailure } from '../engine/events.js';
import { formatTaskFailure } from '../report/format-failure.js';

export interface RebuildSummary {
  /** What triggered the rebuild ("initial build", "data/a.txt changed", ...). */
  trigger: string;
  built: string[];
  restored: string[];
  failed: { rule: string; target: string; failure: TaskFailure }[];
  /** Failing stages left out because nothing they depend on changed. */
  notRetried: string[];
  pruned: string[];
  cancelled: boolean;
  /** The config did not load (its error was printed already). */
  configError: boolean;
  ms: number;
}

export function describeTrigger(changes: ReadonlyMap<string, 'changed' | 'added' | 'deleted'>, config: string | undefined): string {
  const parts: string[] = [];
  if (config !== undefined) parts.push(`${config} changed`);
  for (const kind of ['changed', 'added', 'deleted'] as const) {
    const paths = [...changes].filter(([, k]) => k === kind).map(([p]) => p).sort();
    if (paths.length > 0) parts.push(`${list(paths, 2)} ${kind}`);
  }
  return parts.length === 0 ? 'rebuild' : parts.join(', ');
}

export function formatRebuild(s: RebuildSummary, now: Date = new Date()): string {
  const results: string[] = [];
  if (s.configError) results.push('config error (fix it and save again)');
  if (s.cancelled) results.push('cancelled');
  if (s.failed.length > 0) results.push(`${s.failed.length} FAILED`);
  if (s.built.length > 0) results.push(`built ${list(s.built, 3)}`);
  if (s.restored.length > 0) results.push(`restored ${list(s.restored, 3)} from cache`);
  if (s.notRetried.length > 0) results.push(`${s.notRetried.length} failing stage(s) not retried: unchanged since they failed`);
  if (s.pruned.length > 0) results.push(`pruned ${list(s.pruned, 3)}`);
  if (results.length === 0) results.push('up to date');
  const time = now.toTimeString().slice(0, 8);
  const lines = [`[${time}] ${s.trigger}: ${results.join(', ')} (${fmtMs(s.ms)})`];
  for (const f of s.failed) lines.push(`  FAILED ${f.rule} ${f.target}: ${formatTaskFailure(f.failure)}`.replace(/\n/g, '\n  '));
  return lines.join('\n') + '\n';
}

function list(items: readonly string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
