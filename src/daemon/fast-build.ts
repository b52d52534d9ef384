// `pipe build [targets...]` without options, when a daemon is running: straight to it,
// before commander and the subcommand registrations load (~40 ms of a ~100 ms call). This is
// what scripts and Makefiles call hundreds of times. Anything else (an option, no daemon
// answering) returns undefined and takes the normal path, which starts a daemon if needed.
import { availableParallelism } from 'node:os';
import { createReporter } from '../report/reporter.js';
import { clientEnv, viaDaemon } from './client.js';
import { projectRelative } from './paths.js';

export async function fastBuild(args: readonly string[]): Promise<number | undefined> {
  if (args.some((a) => a.startsWith('-')) || process.env['PIPE_NO_DAEMON'] === '1') return undefined;
  const mode = process.stdout.isTTY === true && process.env['CI'] === undefined ? 'tty' : 'plain';
  const reporter = await createReporter(mode);
  const root = process.cwd();
  const code = await viaDaemon(
    { root, config: null },
    { type: 'build', targets: args.map((t) => projectRelative(root, t)), jobs: availableParallelism(), keepGoing: false, dryRun: false, cache: true, env: clientEnv() },
    { autoStart: false, onEvent: (e) => reporter.event(e) },
  );
  if (code !== undefined) {
    // The caller exits at once: let what we wrote reach a slow pipe first.
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    await new Promise<void>((r) => process.stderr.write('', () => r()));
  }
  return code;
}
