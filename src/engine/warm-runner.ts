// Connects the scheduler to the warm pool: a stale stage of a warm tool reads its inputs,
// sends them through an instance as records and writes the answer to the stage's temp file.
import { readFileSync, writeFileSync } from 'node:fs';
import type { WarmPool, WarmToolSpec } from '../tools/warm-pool.js';
import { err, ok } from '../util/result.js';
import type { ToolIdentity } from '../hash/tool-identity.js';
import type { Task } from '../plan/graph.js';
import type { WarmRunner } from './run-task.js';
import { commandFor } from './substitute.js';
import { resolveExecutable } from '../util/resolve-executable.js';

/** A warm record may take this long when the tool sets no timeoutMs (detects block-buffering). */
export const DEFAULT_RECORD_TIMEOUT_MS = 30_000;

export interface WarmHooks {
  run: WarmRunner;
  /** Start an instance of the task's tool ahead of demand (see WarmPool.prestart). */
  prestart(task: Task, identity: ToolIdentity): void;
}

export function warmRunner(pool: WarmPool, root: string): WarmHooks {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env['PYTHONUNBUFFERED'] = '1';
  // C stdio block-buffers a pipe, so a warm `tr` would sit on its answers until 4 KiB piled
  // up and look hung: coreutils' stdbuf makes such tools flush each line. (It cannot reach
  // Python, which PYTHONUNBUFFERED covers, nor statically linked tools.)
  const stdbuf = resolveExecutable('stdbuf', root, env);
  const specFor = (task: Task, identity: ToolIdentity): WarmToolSpec => {
    const tool = task.rule.tool;
    const argv = commandFor(task, []);
    return {
      name: tool.name,
      identity: identity.digest,
      argv: stdbuf === undefined ? [identity.executable, ...argv.slice(1)] : [stdbuf, '-oL', identity.executable, ...argv.slice(1)],
      cwd: root,
      env,
      // Only what the tool can see that matters keys its instances: a daemon client's other
      // variables must not restart it (see specKey).
      keyEnv: tool.env,
      framing: tool.warm ?? { kind: 'lines' },
      prelude: tool.prelude,
      timeoutMs: tool.timeoutMs > 0 ? tool.timeoutMs : DEFAULT_RECORD_TIMEOUT_MS,
      startupMs: tool.startupMs,
      instances: tool.instances,
      idleMs: tool.idleMs,
      retries: tool.retries,
      ...(tool.restart === undefined ? {} : { restart: tool.restart }),
    };
  };
  const run: WarmRunner = async (task, identity, stdinFiles, stdoutFile, signal) => {
    const spec = specFor(task, identity);
    const input = stdinFiles.length === 1 ? readFileSync(stdinFiles[0] as string) : Buffer.concat(stdinFiles.map((f) => readFileSync(f)));
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) return err({ reason: 'cancelled' });
      let r;
      try {
        r = await pool.process(spec, input, signal);
      } catch (e) {
        // An aborted wait rejects; anything else is a bug surfaced by the scheduler.
        if (signal.aborted) return err({ reason: 'cancelled' });
        throw e;
      }
      if (r.ok) {
        writeFileSync(stdoutFile, r.value);
        return ok(undefined);
      }
      // Another build replaced the tool while this document waited: run it with this spec again.
      if (r.error.reason === 'tool-replaced' && attempt < 2) continue;
      return err({ reason: 'warm', failure: r.error });
    }
  };
  return { run, prestart: (task, identity) => pool.prestart(specFor(task, identity)) };
}
