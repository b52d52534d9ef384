// Compiles src/ into dist/: tsc, then the CommonJS pieces (scripts/build-cjs.mjs).
// `--clean` first removes dist/, so a packed tarball holds no output of deleted sources.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--clean')) rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'scripts', 'build-cjs.mjs')], { stdio: 'inherit' });
