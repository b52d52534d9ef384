// `pipe run` runs once per document: its client must load nothing but main.js and the
// bundled run/client.cjs (no commander, no pool; see src/cli/main.ts). This checks what loads.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CLI, RunProject } from './rig.js';

let p: RunProject;
beforeEach(() => {
  p = new RunProject();
});
afterEach(async () => {
  await p.dispose();
});

/**
 * Runs one warm `pipe run` call through `entry` with a probe that names what loads: a
 * resolve hook reports every ES module, require.cache every CommonJS one (commander is
 * CommonJS). Returns paths below dist/.
 */
async function probeRun(entry: string): Promise<{ esm: string[]; cjs: string[] }> {
  await p.run(['-w', '60', '--', './upper_lines.py'], 'warm up\n');
  writeFileSync(
    join(p.root, 'hooks.mjs'),
    `import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith('file:') && !r.url.includes('/probe.mjs')) writeSync(2, 'ESM ' + r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(
    join(p.root, 'probe.mjs'),
    `import { register, createRequire } from 'node:module';
register('./hooks.mjs', import.meta.url);
const require = createRequire(import.meta.url);
process.on('exit', () => process.stderr.write('CJS ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));
`,
  );
  const r = spawnSync(process.execPath, ['--import', join(p.root, 'probe.mjs'), entry, 'run', '-w', '60', '--', './upper_lines.py'], { cwd: p.root, input: 'x\n', env: p.env() });
  expect(r.status, String(r.stderr)).toBe(0);
  expect(String(r.stdout)).toBe('X\n');
  const stderr = String(r.stderr);
  const esm = [...stderr.matchAll(/^ESM file:\/\/.*\/dist\/(.*)$/gm)].map((m) => m[1] as string);
  const cjs = (JSON.parse(/^CJS (.*)$/m.exec(stderr)?.[1] ?? '[]') as string[]).map((f) => f.replace(/.*\/dist\//, ''));
  return { esm, cjs };
}

it('a warm pipe run call loads only main.js and the bundled run/client.cjs', async () => {
  const { esm, cjs } = await probeRun(CLI);
  expect(esm).toEqual(['cli/main.js']);
  expect(cjs).toEqual(['run/client.cjs']);
});

it('pipe --help lists run and tools', async () => {
  const r = await p.cli(['--help']);
  expect(r.stdout.toString()).toMatch(/\brun \[options\] <command\.\.\.>/);
  expect(r.stdout.toString()).toMatch(/\btools \[options\]/);
});

it('through the installed launcher (bin: pipe.cjs) a warm call loads no ES module, only the CommonJS client', async () => {
  const launcher = CLI.replace(/main\.js$/, 'pipe.cjs');
  const { esm, cjs } = await probeRun(launcher);
  // The hook sees the entry point resolved (a .cjs file, so loaded as CommonJS) and nothing else.
  expect(esm).toEqual(['cli/pipe.cjs']);
  expect(cjs).toEqual(['cli/pipe.cjs', 'run/client.cjs']);
  // Every other command goes on to the ES-module CLI.
  const v = spawnSync(process.execPath, [launcher, '--version'], { encoding: 'utf8' });
  expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
