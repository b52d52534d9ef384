// `pipe clean [targets...]`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';

export function registerClean(program: Command): void {
  withCommon(program.command('clean').argument('[targets...]', 'outputs or directories (default: every output pipe has built)'))
    .description('remove outputs and their records')
    .option('--cache', 'also empty the output cache', false)
    .action(async (targets: string[], o: { directory: string; config?: string; cache: boolean }) => {
      const { cleanCommand } = await import('../commands/clean.js');
      exitWith(await cleanCommand({ ...common(o), targets, cache: o.cache }));
    });
}
