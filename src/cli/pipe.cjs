#!/usr/bin/env node
// The `pipe` executable (package.json "bin"). CommonJS on purpose: `pipe run` runs once per
// document, and an ES-module entry costs ~4 ms a call, so its client loads as CommonJS
// (dist/run/client.cjs, built from src/run/client.ts by scripts/build-cjs.mjs). Every
// other command goes to the ES-module CLI, dist/cli/main.js.
'use strict';
if (process.argv[2] === 'run') {
  require('../run/client.cjs')
    .runMain(process.argv.slice(3))
    .then((code) => process.exit(code));
} else {
  import('./main.js');
}
