// `pipe build [targets...]`
import type { Command } from 'commander';
import { common, defaultJobs, exitWith, parseJobs, withCommon } from './common.js';
import { daemonChoice, throughDaemon, withDaemonOption } from './daemon.js';

export function registerBuild(program: Command): void {
  withDaemonOption(withCommon(program.command('build').argument('[targets...]', 'outputs or directories to build (default: everything derivable from existing sources)')))
    .description('build targets whose inputs, tools or commands changed; skip the rest')
    .option('-j, --jobs <n>', 'how many tasks may run at once', parseJobs, defaultJobs())
    .option('-k, --keep-going', 'keep building what does not depend on a failure', false)
    .option('-n, --dry-run', 'print what would run and why, run nothing', false)
    .option('--no-cache', 'never restore outputs from the content-addressed cache')
    .option('--json', 'one JSON event per line on stdout', false)
    .action(async (targets: string[], o: { directory: string; config?: string; jobs: number; keepGoing: boolean; dryRun: boolean; cache: boolean; json: boolean; daemon: boolean }) => {
      const mode = o.json ? 'json' : process.stdout.isTTY === true && process.env['CI'] === undefined ? 'tty' : 'plain';
      const c = common(o);
      // Through the daemon, the same reporter renders the daemon's events: same output, same exit code.
      const { createReporter } = await import('../report/reporter.js');
      const reporter = await createReporter(mode);
      const viaDaemon = await throughDaemon(c, daemonChoice(o), (rel, env) => ({ type: 'build', targets: targets.map(rel), jobs: o.jobs, keepGoing: o.keepGoing, dryRun: o.dryRun, cache: o.cache, env }), (e) => reporter.event(e));
      if (viaDaemon !== undefined) return exitWith(viaDaemon);
      const { buildCommand } = await import('../commands/build.js');
      exitWith(await buildCommand({ ...c, targets, jobs: o.jobs, keepGoing: o.keepGoing, dryRun: o.dryRun, cache: o.cache, mode }));
    });
}
