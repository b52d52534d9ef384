// Renders build events: on a TTY one updating status line, otherwise plain lines, or one
// JSON object per line with --json. The engine never assembles user-facing strings itself.
import type { BuildEvent } from '../engine/events.js';
import { unreachable } from '../util/result.js';
import { formatTaskFailure, shellQuote } from './format-failure.js';
import { TargetSummary } from './tty-summary.js';

export type ReportMode = 'tty' | 'plain' | 'json';

export interface Reporter {
  event(e: BuildEvent): void;
  /** Stop any live line before other output. */
  close(): void;
}

export async function createReporter(mode: ReportMode, out: NodeJS.WriteStream = process.stdout, errOut: NodeJS.WriteStream = process.stderr): Promise<Reporter> {
  if (mode === 'json') return { event: (e) => out.write(JSON.stringify(e) + '\n'), close: () => {} };
  let total = 0;
  let completed = 0;
  const running = new Map<string, string>();
  const lines = mode === 'tty' ? (await import('log-update')).createLogUpdate(out) : undefined;
  const summary = lines === undefined ? undefined : new TargetSummary();
  let lastDraw = 0;
  const draw = (force = false): void => {
    if (lines === undefined) return;
    const now = Date.now();
    if (!force && now - lastDraw < 50) return;
    lastDraw = now;
    const current = [...running.values()].at(-1);
    lines(`[${completed}/${total}]${current !== undefined ? ' ' + current : ''}${running.size > 1 ? ` (+${running.size - 1} running)` : ''}`);
  };
  const persist = (text: string, toErr = false): void => {
    lines?.clear();
    (toErr ? errOut : out).write(text + '\n');
    draw(true);
  };
  return {
    event(e) {
      summary?.note(e);
      switch (e.type) {
        case 'plan':
          total = e.tasks;
          draw(true);
          break;
        case 'start':
          completed = e.completed;
          running.set(e.target, `${e.rule} ${e.target}`);
          draw();
          break;
        case 'finish':
          completed = e.completed;
          running.delete(e.target);
          if (lines === undefined) {
            const notes = [e.outcome === 'restored' ? 'restored from cache' : '', e.unchanged ? 'unchanged' : ''].filter((n) => n !== '');
            out.write(`[${completed}/${total}] ${e.rule} ${e.target}${notes.length > 0 ? ` (${notes.join(', ')})` : ''} ${fmtMs(e.ms)}\n`);
          } else draw();
          break;
        case 'fail':
          completed = e.completed;
          running.delete(e.target);
          persist(`FAILED ${e.rule} ${e.target}: ${formatTaskFailure(e.failure)}${e.command.length > 0 ? `\n  command: ${shellQuote(e.command)}` : ''}`, true);
          break;
        case 'would-run':
          completed = e.completed;
          persist(`would run ${e.rule} ${e.target}: ${e.reasons.join('; ')}\n  command: ${shellQuote(e.command)}`);
          break;
        case 'warm-waiting':
          persist(`pipe: ${formatWaiting(e)}`, true);
          break;
        case 'done': {
          lines?.clear();
          lines?.done();
          const c = e.counts;
          const parts = [
            c.built > 0 ? `${c.built} built` : '',
            c.restored > 0 ? `${c.restored} restored from cache` : '',
            c['would-run'] > 0 ? `${c['would-run']} would run` : '',
            `${c.fresh} up to date`,
            c.failed > 0 ? `${c.failed} failed` : '',
            c.skipped > 0 ? `${c.skipped} skipped` : '',
          ].filter((p) => p !== '');
          if (summary !== undefined) out.write(summary.render());
          if (e.failure !== undefined) errOut.write(`pipe: ${formatTaskFailure(e.failure)}\n`);
          (e.ok ? out : errOut).write(`pipe: ${parts.join(', ')} (${fmtMs(e.ms)})${e.ok ? '' : ' — build FAILED'}\n`);
          break;
        }
        default:
          unreachable(e);
      }
    },
    close() {
      lines?.clear();
    },
  };
}

function formatWaiting(e: Extract<BuildEvent, { type: 'warm-waiting' }>): string {
  const what = e.awaiting === 'start-up' ? 'its start-up (prelude or answer to the marker line)' : `an answer to record ${e.record}`;
  return `still waiting for warm tool ${e.tool} (pid ${e.pid}): ${what}, nothing on stdout for ${Math.round(e.quietMs / 1000)} s (gives up after ${Math.round(e.deadlineMs / 1000)} s)`;
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
