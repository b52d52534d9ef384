#!/usr/bin/env node
// The `pipe` command. Only commander and the subcommand registrations load at start-up;
// each action imports its implementation when it runs.
//
// `pipe run` runs once per document, so it skips even commander (~25 ms): its light client
// (src/run/client.ts) starts before anything else loads. ESM evaluates static imports
// before any code, so the imports below are dynamic: add new registrations the same way,
// or every `pipe run` pays for them (test/run/latency-guard.test.ts checks).
// `pipe -C dir build`: change directory first, as make and git do.
if (process.argv[2]?.startsWith('-C') === true || process.argv[2]?.startsWith('--directory') === true) {
  const { applyLeadingDirectory } = await import('./directory.js');
  const r = applyLeadingDirectory(process.argv.slice(2));
  if (!r.ok) {
    process.stderr.write(`pipe: ${r.message}\n`);
    process.exit(2);
  }
  process.argv.splice(2, Infinity, ...r.argv);
}
if (process.argv[2] === 'run') {
  // The bundled CommonJS client (scripts/build-cjs.mjs): one file, where the ES build of
  // src/run/client.ts would load each helper it imports as a module of its own.
  const { createRequire } = await import('node:module');
  const client = createRequire(import.meta.url)('../run/client.cjs') as typeof import('../run/client.js');
  process.exit(await client.runMain(process.argv.slice(3)));
}
// `pipe build [targets...]` (no options) against a running daemon skips commander too.
if (process.argv[2] === 'build') {
  const { fastBuild } = await import('../daemon/fast-build.js');
  const code = await fastBuild(process.argv.slice(3));
  if (code !== undefined) process.exit(code);
}
const { Command } = await import('commander');
const { registerBuild } = await import('./build.js');
const { registerClean } = await import('./clean.js');
const { registerStatus } = await import('./status.js');
const { registerWhy } = await import('./why.js');
const { registerRun } = await import('./run.js');
const { registerTools } = await import('./tools.js');
const { registerDaemon } = await import('./daemon.js');
const { registerStop } = await import('./stop.js');
const { registerWatch } = await import('./watch.js');
const { VERSION } = await import('../version.js');

const program = new Command('pipe')
  .description('incremental builds for document pipelines, with warm tools')
  .usage('[-C dir] <command> [options]')
  .version(VERSION)
  .showHelpAfterError()
  .enablePositionalOptions();
registerBuild(program);
registerWhy(program);
registerStatus(program);
registerClean(program);
registerRun(program);
registerTools(program);
registerWatch(program);
registerDaemon(program);
registerStop(program);

await program.parseAsync(process.argv);
