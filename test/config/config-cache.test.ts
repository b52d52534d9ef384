// The config cache (.pipe/config-cache.json): a .ts config that evaluates to plain data is
// answered from the cache while every file it loaded keeps its stat; an edit to the config or
// to a module it imports, or a config that reads the environment, is evaluated again.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

let root: string;
let pipeDir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'docpipe-config-'));
  pipeDir = join(root, '.pipe');
  mkdirSync(pipeDir);
  mkdirSync(join(root, 'rules'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const cachePath = (): string => join(pipeDir, 'config-cache.json');

/** Sets a file's times well in the past: outside the racy window of the cache's writing. */
function age(path: string): void {
  const past = new Date(Date.now() - 60_000);
  utimesSync(path, past, past);
}

async function load(): Promise<unknown> {
  const r = await loadConfig(join(root, 'pipeline.config.ts'), pipeDir);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value.raw;
}

/** Rewrites the cached value: a load that returns it was answered from the cache. */
function markCache(): void {
  const c = JSON.parse(readFileSync(cachePath(), 'utf8')) as { raw: unknown };
  c.raw = { fromCache: true };
  writeFileSync(cachePath(), JSON.stringify(c));
}

it('answers from the cache while the config and its imports are unchanged, and not after an edit to either', async () => {
  writeFileSync(join(root, 'rules', 'r.ts'), "export const name = 'one';\n");
  writeFileSync(join(root, 'pipeline.config.ts'), "import { name } from './rules/r.ts';\nexport default { rules: [{ name }] };\n");
  age(join(root, 'rules', 'r.ts'));
  age(join(root, 'pipeline.config.ts'));
  expect(await load()).toEqual({ rules: [{ name: 'one' }] });
  const cached = JSON.parse(readFileSync(cachePath(), 'utf8')) as { deps: [string][] };
  expect(cached.deps.map((d) => d[0]).sort()).toEqual([join(root, 'pipeline.config.ts'), join(root, 'rules', 'r.ts')]);

  markCache();
  expect(await load()).toEqual({ fromCache: true });

  writeFileSync(join(root, 'rules', 'r.ts'), "export const name = 'two';\n");
  age(join(root, 'rules', 'r.ts'));
  expect(await load()).toEqual({ rules: [{ name: 'two' }] });
});

it('does not trust a file modified within the racy window of the cache being written', async () => {
  writeFileSync(join(root, 'pipeline.config.ts'), "export default { rules: [{ name: 'x' }] };\n");
  // An mtime at or after the cache's writing: the same timestamp tick, as far as a stat can tell.
  const future = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'pipeline.config.ts'), future, future);
  expect(await load()).toEqual({ rules: [{ name: 'x' }] });
  markCache();
  expect(await load()).toEqual({ rules: [{ name: 'x' }] });
});

it('a config that reads the environment is evaluated every time, never cached', async () => {
  writeFileSync(join(root, 'pipeline.config.ts'), "export default { rules: [{ name: process.env['RULE_NAME'] ?? 'none' }] };\n");
  age(join(root, 'pipeline.config.ts'));
  process.env['RULE_NAME'] = 'first';
  try {
    expect(await load()).toEqual({ rules: [{ name: 'first' }] });
    process.env['RULE_NAME'] = 'second';
    expect(await load()).toEqual({ rules: [{ name: 'second' }] });
  } finally {
    delete process.env['RULE_NAME'];
  }
  expect(() => readFileSync(cachePath())).toThrow(/ENOENT/);
});
