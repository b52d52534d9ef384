// After tsc: builds the CommonJS pieces of the `pipe` executable. `pipe run` runs once per
// document, and Node's ES-module entry costs ~4 ms a call (measured: an empty .mjs 63 ms,
// an empty .cjs 59 ms, `node -e 0` 59 ms), so the launcher and the run client load as
// CommonJS. The client is the same source (src/run/client.ts) bundled into one file with the
// few helpers it shares with the rest of the code (one module to load, no drifting copies);
// its one dynamic import (the server starter, used on a cold start) stays an ES import.
import { copyFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
buildSync({
  entryPoints: [join(root, 'src/run/client.ts')],
  outfile: join(root, 'dist/run/client.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['./start-server.js'],
  logLevel: 'warning',
});
copyFileSync(join(root, 'src/cli/pipe.cjs'), join(root, 'dist/cli/pipe.cjs'));
chmodSync(join(root, 'dist/cli/pipe.cjs'), 0o755);
chmodSync(join(root, 'dist/cli/main.js'), 0o755);
