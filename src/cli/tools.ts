// `pipe tools`
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { exitWith } from './common.js';

export function registerTools(program: Command): void {
  program
    .command('tools')
    .description('list running warm tool instances (pipe run servers and the daemon): pid, identity, state, records, uptime, memory')
    .option('-C, --directory <dir>', 'project directory (where .pipe/ lives)', '.')
    .option('--json', 'machine-readable output', false)
    .action(async (o: { directory: string; json: boolean }) => {
      const { toolsCommand } = await import('../run/list-tools.js');
      exitWith(await toolsCommand({ root: resolve(o.directory), json: o.json }));
    });
}
