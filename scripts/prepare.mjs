// `npm install` in a clone runs `prepare`: compile when the dev tools are there (`npm ci`),
// and otherwise keep a dist/ that is already built, so an install without devDependencies
// (`--omit=dev`, a global install of a built clone) does not fail on `tsc: not found`.
// Packing builds through `prepack`, so a tarball always holds a fresh dist/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const has = (name) => {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
};

if (process.env['npm_command'] === 'pack' || process.env['npm_command'] === 'publish') {
  // `prepack` has just built dist/ from scratch.
} else if (has('typescript') && has('esbuild')) {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
} else if (existsSync(join(root, 'dist', 'cli', 'pipe.cjs'))) {
  process.stderr.write('docpipe: TypeScript is not installed (no devDependencies); using the dist/ already built\n');
} else {
  process.stderr.write(
    'docpipe: cannot compile: dist/ is not built and TypeScript is not installed (no devDependencies).\n' +
      '  In a clone, run `npm ci` first; to install docpipe elsewhere, install a packed tarball:\n' +
      '  `npm pack` here, then `npm install /path/to/docpipe-<version>.tgz` (README: "Use it in your project").\n',
  );
  process.exit(1);
}
