// `pipe daemon`, and the choice every daemon-capable command makes: through the daemon,
// starting one if needed, or in this process.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { BuildEvent } from '../engine/events.js';
import type { DaemonRequest } from '../daemon/client.js';
import { DEFAULT_IDLE_MS } from '../daemon/protocol.js';
import { common, exitWith, withCommon } from './common.js';

export function registerDaemon(program: Command): void {
  withCommon(program.command('daemon'))
    .description("run the project's daemon in the foreground (clients start one in the background themselves)")
    .option('--idle-ms <ms>', 'exit after this long without clients or watches (0: never)', parseMs, DEFAULT_IDLE_MS)
    .option('--stat-all', 'stat every known file before each build instead of trusting file events (network file systems); clients pass it when PIPE_DAEMON_STAT_ALL=1', false)
    .action(async (o: { directory: string; config?: string; idleMs: number; statAll: boolean }) => {
      const { runDaemon } = await import('../daemon/run.js');
      const c = common(o);
      exitWith(await runDaemon({ root: c.root, config: absConfig(c.config), idleMs: o.idleMs, statAll: o.statAll }));
    });
}

/** `--no-daemon` for commands that go through the daemon by default. */
export function withDaemonOption(cmd: Command): Command {
  return cmd.option('--no-daemon', 'run in this process (stops a running daemon first: it holds the state store)');
}

/**
 * 'off': in this process. 'use': through a running daemon, never starting one (CI, like Nx:
 * no background processes left on build machines). 'start': start one if none answers.
 */
export type DaemonChoice = 'off' | 'use' | 'start';

export function daemonChoice(o: { daemon?: boolean }): DaemonChoice {
  if (o.daemon === false || process.env['PIPE_NO_DAEMON'] === '1') return 'off';
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false' ? 'use' : 'start';
}

/**
 * Runs the request through the daemon as `choice` says. Undefined: run it in this process
 * (for 'off', once a running daemon has finished its jobs and exited: it holds the store).
 */
export async function throughDaemon(
  c: { root: string; config: string | undefined },
  choice: DaemonChoice,
  request: (rel: (target: string) => string, env: Record<string, string>) => DaemonRequest,
  onEvent?: (e: BuildEvent) => void,
): Promise<number | undefined> {
  if (choice === 'off') return withoutDaemon(c.root);
  // No config, no project: say so here rather than start a daemon in any directory. The
  // check stays off the config loader (the client path loads no config or hash module).
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { CONFIG_NAMES } = await import('../util/config-names.js');
  if (c.config !== undefined ? !existsSync(resolve(c.config)) : !CONFIG_NAMES.some((n) => existsSync(join(c.root, n)))) {
    const { findConfig } = await import('../config/load-config.js');
    const found = findConfig(c.root, c.config);
    if (!found.ok) {
      const { formatSessionFailure } = await import('../report/format-failure.js');
      process.stderr.write(`pipe: ${formatSessionFailure(found.error)}\n`);
      return 2;
    }
  }
  const client = await import('../daemon/client.js');
  const { projectRelative } = await import('../daemon/paths.js');
  const req = request((t) => projectRelative(c.root, t), client.clientEnv());
  return client.viaDaemon({ root: c.root, config: absConfig(c.config) }, req, { autoStart: choice === 'start', ...(onEvent !== undefined ? { onEvent } : {}) });
}

/**
 * `--no-daemon` (and `pipe clean`): no daemon may start while this process works, and a
 * running one finishes the jobs it has (other clients' builds succeed) and exits, freeing
 * the state store. Undefined: go ahead in this process; a number: the exit code.
 */
async function withoutDaemon(root: string): Promise<number | undefined> {
  const { markNoDaemon } = await import('../daemon/no-daemon-marker.js');
  const { stopDaemon } = await import('../daemon/stop-daemon.js');
  const { join } = await import('node:path');
  markNoDaemon(join(root, '.pipe'));
  const r = await stopDaemon(root, { drain: true });
  switch (r.kind) {
    case 'none':
      return undefined;
    case 'stopped':
      process.stderr.write(`pipe: stopped the project's daemon (pid ${r.pid}) to run without it\n`);
      return undefined;
    case 'killed':
      process.stderr.write(`pipe: the project's daemon (pid ${r.pid}) did not answer within ${r.afterMs} ms; killed it to run without it\n`);
      return undefined;
    case 'busy':
      process.stderr.write(`pipe: the project's daemon (pid ${r.pid}) was still finishing other clients' jobs after ${r.afterMs} ms (PIPE_DAEMON_DRAIN_MS); try again, or build through it\n`);
      return 1;
    case 'stuck':
      process.stderr.write(`pipe: the project's daemon (pid ${r.pid}) does not exit, even after SIGKILL\n`);
      return 1;
  }
}

export function absConfig(config: string | undefined): string | null {
  return config === undefined ? null : resolve(config);
}

function parseMs(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected milliseconds (a whole number), got '${v}'`);
  return Number(v);
}
