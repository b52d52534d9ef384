// `pipe build [targets...]`
import type { Command } from 'commander';
import { common, defaultJobs, exitWith, parseJobs, withCommon } from './common.js';

export function registerBuild(program: Command): void {
  withCommon(program.command('build').argument('[targets...]', 'outputs or directories to build (default: everything derivable from existing sources)'))
    .description('build targets whose inputs, tools or commands changed; skip the rest')
    .option('-j, --jobs <n>', 'how many tasks may run at once', parseJobs, defaultJobs())
    .option('-k, --keep-going', 'keep building what does not depend on a failure', false)
    .option('-n, --dry-run', 'print what would run and why, run nothing', false)
    .option('--no-cache', 'never restore outputs from the content-addressed cache')
    .option('--json', 'one JSON event per line on stdout', false)
    .action(async (targets: string[], o: { directory: string; config?: string; jobs: number; keepGoing: boolean; dryRun: boolean; cache: boolean; json: boolean }) => {
      const { buildCommand } = await import('../commands/build.js');
      // A terminal that reports no width (some ptys) cannot host a redrawn line: plain lines then.
      const mode = o.json ? 'json' : process.stdout.isTTY === true && (process.stdout.columns ?? 0) > 0 && process.env['CI'] === undefined ? 'tty' : 'plain';
      exitWith(await buildCommand({ ...common(o), targets, jobs: o.jobs, keepGoing: o.keepGoing, dryRun: o.dryRun, cache: o.cache, mode }));
    });
}
