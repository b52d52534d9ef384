// A tool's identity: the executable, every argument naming a file or directory (`-m file`,
// `--dic=file`), declared files and env values are parts; placeholders and options are not.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Tool } from '../../src/config/validate.js';
import { toolArgumentPaths } from '../../src/config/tool-paths.js';
import { digestBytes } from '../../src/hash/digest.js';
import { StatCache } from '../../src/hash/stat-cache.js';
import { toolIdentity } from '../../src/hash/tool-identity.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'docpipe-identity-'));
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\ncat\n');
  chmodSync(join(root, 'run.sh'), 0o755);
  writeFileSync(join(root, 'model.bin'), 'model v1');
  writeFileSync(join(root, 'user.dic'), 'dic v1');
  mkdirSync(join(root, 'models'));
  writeFileSync(join(root, 'models', 'a'), 'a');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function tool(command: string[], extra: Partial<Tool> = {}): Tool {
  return { name: 't', command, warm: null, files: [], env: [], prelude: 0, timeoutMs: 0, startupMs: 0, instances: 1, idleMs: 0, retries: 0, ...extra };
}

it('names which arguments may be paths', () => {
  expect(toolArgumentPaths(['x', '-m', 'model.bin', '--dic=user.dic', '-v', '--level=-3', '{input}', 'out-{doc}'])).toEqual(['model.bin', 'user.dic']);
});

it('hashes the executable, file arguments, declared files and env; a changed file changes the digest', () => {
  const t = tool(['./run.sh', '-m', 'model.bin', '--dic=user.dic', '-x', 'not-a-file'], { files: ['models'], env: ['TOOL_MODE'] });
  const id1 = toolIdentity(t, root, new StatCache(new Map()), { PATH: '/usr/bin:/bin', TOOL_MODE: 'fast' });
  if (!id1.ok) throw new Error(JSON.stringify(id1.error));
  expect(id1.value.parts.map((p) => `${p.kind}:${p.name}`)).toEqual(['executable:run.sh', 'file:model.bin', 'file:user.dic', 'file:models', 'env:TOOL_MODE']);
  expect(id1.value.parts[1]?.digest).toBe(digestBytes('model v1'));
  expect(id1.value.hasDirectory).toBe(true);

  writeFileSync(join(root, 'user.dic'), 'dic v2');
  const id2 = toolIdentity(t, root, new StatCache(new Map()), { PATH: '/usr/bin:/bin', TOOL_MODE: 'fast' });
  expect(id2.ok && id2.value.digest).not.toBe(id1.value.digest);

  const id3 = toolIdentity(t, root, new StatCache(new Map()), { PATH: '/usr/bin:/bin', TOOL_MODE: 'slow' });
  expect(id3.ok && id2.ok && id3.value.digest !== id2.value.digest).toBe(true);
});

it('a declared file that does not exist, or an executable not on PATH, is a failure value', () => {
  const missing = toolIdentity(tool(['./run.sh'], { files: ['gone.bin'] }), root, new StatCache(new Map()), { PATH: '/usr/bin:/bin' });
  expect(missing).toEqual({ ok: false, error: { reason: 'tool-file-missing', tool: 't', path: 'gone.bin' } });
  const notFound = toolIdentity(tool(['no-such-tool-xyz']), root, new StatCache(new Map()), { PATH: '/usr/bin:/bin' });
  expect(!notFound.ok && notFound.error.reason).toBe('tool-not-found');
});
