// `pipe stop`
import type { Command } from 'commander';
import { common, exitWith, withCommon } from './common.js';

export function registerStop(program: Command): void {
  withCommon(program.command('stop'))
    .description("stop the project's daemon and its warm tools")
    .action(async (o: { directory: string; config?: string }) => {
      const { stopDaemon } = await import('../daemon/stop-daemon.js');
      const { root } = common(o);
      const r = await stopDaemon(root);
      switch (r.kind) {
        case 'stopped':
          process.stdout.write(`pipe: stopped the daemon${r.pid > 0 ? ` (pid ${r.pid})` : ''}\n`);
          return exitWith(0);
        case 'killed':
          process.stdout.write(`pipe: the daemon (pid ${r.pid}) did not answer or exit within ${r.afterMs} ms; killed it\n`);
          return exitWith(0);
        case 'none':
          process.stdout.write(`pipe: no daemon running for ${root}\n`);
          return exitWith(0);
        case 'busy':
          process.stderr.write(`pipe: the daemon (pid ${r.pid}) is still finishing its jobs after ${r.afterMs} ms\n`);
          return exitWith(1);
        case 'stuck':
          process.stderr.write(`pipe: the daemon (pid ${r.pid}) does not exit, even after SIGKILL\n`);
          return exitWith(1);
      }
    });
}
