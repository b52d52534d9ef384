// `pipe status`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';
import { daemonChoice, throughDaemon, withDaemonOption } from './daemon.js';

export function registerStatus(program: Command): void {
  withDaemonOption(withCommon(program.command('status')))
    .description('per rule, how many outputs are fresh, stale or missing')
    .option('--json', 'machine-readable output', false)
    .action(async (o: { directory: string; config?: string; json: boolean; daemon: boolean }) => {
      const c = common(o);
      const viaDaemon = await throughDaemon(c, daemonChoice(o), (_rel, env) => ({ type: 'status', json: o.json, env }));
      if (viaDaemon !== undefined) return exitWith(viaDaemon);
      const { statusCommand } = await import('../commands/status.js');
      exitWith(await statusCommand({ ...c, json: o.json }));
    });
}
