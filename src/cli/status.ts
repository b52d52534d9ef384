// `pipe status`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';

export function registerStatus(program: Command): void {
  withCommon(program.command('status'))
    .description('per rule, how many outputs are fresh, stale or missing')
    .option('--json', 'machine-readable output', false)
    .action(async (o: { directory: string; config?: string; json: boolean }) => {
      const { statusCommand } = await import('../commands/status.js');
      exitWith(await statusCommand({ ...common(o), json: o.json }));
    });
}
