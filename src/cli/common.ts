// Options every subcommand shares, and the argv -> typed options conversions.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { directoryProblem } from './directory.js';

export function withCommon(cmd: Command): Command {
  return cmd.option('-C, --directory <dir>', 'project root (where pipeline.config.ts and .pipe/ live); also accepted before the subcommand', parseDirectory, '.').option('--config <file>', 'config file (default: pipeline.config.{ts,mts,js,mjs} in the root)');
}

function parseDirectory(v: string): string {
  const problem = directoryProblem(v);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return v;
}

export function common(o: { directory: string; config?: string }): { root: string; config: string | undefined } {
  return { root: resolve(o.directory), config: o.config };
}

export function parseJobs(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number >= 1, got '${v}'`);
  return n;
}

export const defaultJobs = (): number => availableParallelism();

/** Sets the exit code; never calls process.exit, so pending writes and handles drain. */
export function exitWith(code: number): void {
  process.exitCode = code;
}
