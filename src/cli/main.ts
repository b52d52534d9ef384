#!/usr/bin/env node
// The `pipe` command. Only commander and the subcommand registrations load at start-up;
// each action imports its implementation when it runs.
import { Command } from 'commander';
import { registerBuild } from './build.js';
import { registerClean } from './clean.js';
import { registerStatus } from './status.js';
import { registerWhy } from './why.js';
import { VERSION } from '../version.js';

const program = new Command('pipe')
  .description('incremental builds for document pipelines, with warm tools')
  .version(VERSION)
  .showHelpAfterError()
  .enablePositionalOptions();
registerBuild(program);
registerWhy(program);
registerStatus(program);
registerClean(program);

await program.parseAsync(process.argv);
