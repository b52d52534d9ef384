// `pipe watch [paths...]`
import type { Command } from 'commander';
import { common, defaultJobs, exitWith, parseJobs, withCommon } from './common.js';
import { throughDaemon } from './daemon.js';

export function registerWatch(program: Command): void {
  withCommon(program.command('watch').argument('[paths...]', "directories or files to watch (default: the directories of the rules' source patterns)"))
    .description('build, then rebuild whenever a source changes (runs in the daemon)')
    .option('-j, --jobs <n>', 'how many tasks may run at once', parseJobs, defaultJobs())
    .option('--prune', 'remove the outputs of deleted sources', false)
    .action(async (paths: string[], o: { directory: string; config?: string; jobs: number; prune: boolean }) => {
      if (process.env['PIPE_NO_DAEMON'] === '1') {
        process.stderr.write('pipe: watch runs in the daemon, and PIPE_NO_DAEMON=1 forbids it\n');
        return exitWith(2);
      }
      // Watching is always explicit, so a daemon is started even on CI.
      const code = await throughDaemon(common(o), 'start', (rel, env) => ({ type: 'watch', paths: paths.map(rel), prune: o.prune, jobs: o.jobs, env }));
      exitWith(code ?? 1);
    });
}
