// Whether a tool, run cold, ends its answer to an unterminated last line with a newline.
//
// A warm tool cannot see where a document ends, so an unterminated last line is sent with
// a '\n' and every line tool answers it with one. Run cold, `tr` then prints no '\n' while
// a Python `print` loop still does; which one this tool is, one cold run on a probe line
// without a newline tells, once per tool (it costs one start-up, and only when a document
// without a final newline comes along).

import { spawn } from 'node:child_process';
import type { WarmToolSpec } from './warm-types.js';

/** 'strip': drop the '\n' the warm answer has for an unterminated last line; 'keep': leave it. */
export type FinalNewline = 'strip' | 'keep';

export interface ProbeOutcome {
  policy: FinalNewline;
  /** Why the probe could not decide (then the policy is 'keep'); null when it did. */
  problem: string | null;
}

/** Runs the tool once on `probe` (no final newline) and looks at the last byte of stdout. */
export function probeFinalNewline(spec: WarmToolSpec, probe: string, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const child = spawn(spec.argv[0] ?? '', spec.argv.slice(1), { cwd: spec.cwd, env: spec.env, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      done({ policy: 'keep', problem: `the probe run gave no result within ${timeoutMs} ms` });
    }, timeoutMs);
    let last = -1;
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
    });
    child.on('error', (error) => done({ policy: 'keep', problem: `the probe run could not start: ${error.message}` }));
    child.stdin.on('error', () => {});
    child.stdin.end(probe);
    child.on('close', (code, signal) => {
      if (code !== 0) done({ policy: 'keep', problem: `the probe run exited with ${signal ?? `status ${code}`}` });
      else done({ policy: last === -1 || last === 0x0a ? 'keep' : 'strip', problem: null });
    });
  });
}
