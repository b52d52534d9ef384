// `pipe why TARGET`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';

export function registerWhy(program: Command): void {
  withCommon(program.command('why').argument('<target>', 'an output path'))
    .description('explain why TARGET is stale or fresh')
    .option('--json', 'machine-readable output', false)
    .action(async (target: string, o: { directory: string; config?: string; json: boolean }) => {
      const { whyCommand } = await import('../commands/why.js');
      exitWith(await whyCommand({ ...common(o), target, json: o.json }));
    });
}
