// `pipe clean [targets...]`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';
import { throughDaemon } from './daemon.js';

export function registerClean(program: Command): void {
  withCommon(program.command('clean').argument('[targets...]', 'outputs or directories (default: every output pipe has built)'))
    .description('remove outputs and their records')
    .option('--cache', 'also empty the output cache', false)
    .option('--orphans', 'remove only orphaned outputs: those whose source is gone (pipe status lists them)', false)
    .action(async (targets: string[], o: { directory: string; config?: string; cache: boolean; orphans: boolean }) => {
      const c = common(o);
      // The daemon holds the state store: stop it (it flushes first), then clean here.
      const blocked = await throughDaemon(c, 'off', () => ({ type: 'status', json: false, env: {} }));
      if (blocked !== undefined) return exitWith(blocked);
      const { cleanCommand } = await import('../commands/clean.js');
      exitWith(await cleanCommand({ ...c, targets, cache: o.cache, orphans: o.orphans }));
    });
}
