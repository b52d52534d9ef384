// `pipe why TARGET`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';
import { daemonChoice, throughDaemon, withDaemonOption } from './daemon.js';

export function registerWhy(program: Command): void {
  withDaemonOption(withCommon(program.command('why').argument('<target>', 'an output path')))
    .description('explain why TARGET is stale or fresh')
    .option('--json', 'machine-readable output', false)
    .action(async (target: string, o: { directory: string; config?: string; json: boolean; daemon: boolean }) => {
      const c = common(o);
      const viaDaemon = await throughDaemon(c, daemonChoice(o), (rel, env) => ({ type: 'why', target: rel(target), json: o.json, env }));
      if (viaDaemon !== undefined) return exitWith(viaDaemon);
      const { whyCommand } = await import('../commands/why.js');
      exitWith(await whyCommand({ ...c, target, json: o.json }));
    });
}
