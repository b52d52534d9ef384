// `pipe run [options] -- <command...>`
// Normally never reached: src/cli/main.ts sends `pipe run` straight to the light client
// (src/run/client.ts) before commander loads. This registration lists it in `pipe --help`
// and handles the rare path through commander with the same parser.
import type { Command } from 'commander';
import { RUN_DESCRIPTION, RUN_OPTIONS } from '../run/args.js';
import { exitWith } from './common.js';

export function registerRun(program: Command): void {
  const cmd = program.command('run').description(RUN_DESCRIPTION).argument('<command...>', 'the record tool and its arguments (after --)').passThroughOptions();
  for (const o of RUN_OPTIONS) cmd.option(`${o.short !== undefined ? `${o.short}, ` : ''}${o.long} <${o.value}>`, o.description);
  cmd.action(async (command: string[], o: Record<string, string | undefined>) => {
    const { runMain } = await import('../run/client.js');
    const args: string[] = [];
    for (const spec of RUN_OPTIONS) {
      const value = o[camel(spec.long)];
      if (value !== undefined) args.push(spec.long, value);
    }
    exitWith(await runMain([...args, '--', ...command]));
  });
}

const camel = (long: string): string => long.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
