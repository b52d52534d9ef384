// Finds and loads pipeline.config.{ts,mts,js,mjs} with jiti, so a config outside this repo
// never needs to resolve `docpipe`, and the modules it imports are known and reloadable.
//
// Loading jiti costs ~150 ms of CPU (a large CJS bundle to compile), more than the rest of a
// no-op build's bookkeeping. So a .ts config that evaluates to plain data is cached as JSON in
// .pipe/config-cache.json, keyed by the stat signatures of every file it loaded (found in
// require.cache). A config whose sources read the environment or the filesystem is
// evaluated every time instead, and is marked `dynamic`: a daemon evaluates it again for
// each job, in that job's client environment.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { err, ok, type Result } from '../util/result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { unchangedSince, type FileStamp } from '../hash/file-stamp.js';
import { CONFIG_NAMES } from '../util/config-names.js';

export { CONFIG_NAMES };

export type LoadFailure =
  | { reason: 'config-not-found'; root: string; tried: string[] }
  | { reason: 'config-threw'; file: string; message: string }
  | { reason: 'config-no-default'; file: string };

export interface LoadedConfig {
  file: string;
  /** The default export, not yet validated. */
  raw: unknown;
  /** Files the config was loaded from (itself and the modules it imports), for reloads. */
  dependencies: string[];
  /** Its sources may evaluate differently with the same bytes (environment, files, clock). */
  dynamic: boolean;
}

type Signature = [path: string, size: number, mtimeMs: number, ctimeMs: number, ino: number];
interface CacheFile {
  version: 1;
  file: string;
  deps: Signature[];
  writtenAt: number;
  raw: unknown;
}

/** Sources that may evaluate differently with the same bytes: not cached. */
const DYNAMIC = /\bprocess\s*\.|\brequire\s*\(|\bimport\s*\(|from\s+['"](node:)?(fs|fs\/promises|child_process|os)['"]|\bDate\b|\bMath\.random\b/;

export function findConfig(root: string, explicit?: string): Result<string, LoadFailure> {
  if (explicit !== undefined) {
    const file = isAbsolute(explicit) ? explicit : resolve(explicit);
    return existsSync(file) ? ok(file) : err({ reason: 'config-not-found', root, tried: [file] });
  }
  const tried = CONFIG_NAMES.map((n) => join(root, n));
  const file = tried.find((f) => existsSync(f));
  return file === undefined ? err({ reason: 'config-not-found', root, tried }) : ok(file);
}

export async function loadConfig(file: string, pipeDir?: string): Promise<Result<LoadedConfig, LoadFailure>> {
  const cachePath = pipeDir === undefined ? undefined : join(pipeDir, 'config-cache.json');
  if (cachePath !== undefined) {
    const hit = readCache(cachePath, file);
    if (hit !== undefined) return ok(hit);
  }
  let mod: unknown;
  let dependencies = [file];
  try {
    // Every config, .js and .mjs too, goes through jiti: a native import() caches the modules
    // a config imports for the life of the process, so a daemon would keep building with old
    // rules; jiti's modules live in require.cache, which we can list (the dependencies a
    // daemon watches) and drop (so the next load reads them again).
    const { createJiti } = await import('jiti');
    const require = createRequire(import.meta.url);
    const before = new Set(Object.keys(require.cache));
    const jiti = createJiti(import.meta.url, { moduleCache: true, fsCache: true, interopDefault: false });
    try {
      // jiti's async import hands .mjs/.js ES modules to the native loader, which caches; its
      // synchronous require transpiles them (top-level await then needs the async path).
      mod = /\.m?js$/.test(file) ? await requireOrImport(jiti, file) : await jiti.import(file);
    } finally {
      const loaded = Object.keys(require.cache).filter((k) => !before.has(k) && !k.includes('/node_modules/'));
      for (const k of loaded) delete require.cache[k];
      if (loaded.length > 0) dependencies = loaded.includes(file) ? loaded : [file, ...loaded];
    }
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return err({ reason: 'config-threw', file, message });
  }
  const raw = typeof mod === 'object' && mod !== null && 'default' in mod ? mod.default : undefined;
  if (raw === undefined || raw === null) return err({ reason: 'config-no-default', file });
  const dynamic = dependencies.some(readsOutsideItself);
  if (cachePath !== undefined && !dynamic && !/\.m?js$/.test(file)) writeCache(cachePath, file, dependencies, raw);
  return ok({ file, raw, dependencies, dynamic });
}

/** Whether a source file may evaluate differently with the same bytes (unreadable: assume so). */
function readsOutsideItself(path: string): boolean {
  try {
    return DYNAMIC.test(readFileSync(path, 'utf8'));
  } catch {
    return true;
  }
}

function stampOfSignature(s: Signature): FileStamp {
  return { size: s[1], mtimeMs: s[2], ctimeMs: s[3], ino: s[4] };
}

function signature(path: string): Signature | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? undefined : [path, st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

function readCache(cachePath: string, file: string): LoadedConfig | undefined {
  let c: CacheFile;
  try {
    c = JSON.parse(readFileSync(cachePath, 'utf8')) as CacheFile;
  } catch {
    return undefined;
  }
  if (c.version !== 1 || c.file !== file) return undefined;
  for (const dep of c.deps) {
    const st = statSync(dep[0], { throwIfNoEntry: false });
    if (st === undefined || !unchangedSince(stampOfSignature(dep), c.writtenAt, st)) return undefined;
  }
  return { file, raw: c.raw, dependencies: c.deps.map((d) => d[0]), dynamic: false };
}

function writeCache(cachePath: string, file: string, dependencies: string[], raw: unknown): void {
  try {
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(raw)) as unknown, raw)) return;
    const deps: Signature[] = [];
    for (const d of dependencies) {
      const s = signature(d);
      if (s === undefined) return;
      deps.push(s);
    }
    const body: CacheFile = { version: 1, file, deps, writtenAt: Date.now(), raw };
    writeFileAtomic(cachePath, JSON.stringify(body));
  } catch {
    // The cache is an optimisation; failing to write it changes nothing else.
  }
}

async function requireOrImport(jiti: import('jiti').Jiti, file: string): Promise<unknown> {
  try {
    return jiti(file) as unknown;
  } catch (e) {
    if (!/top-level await|await is only valid/i.test(String(e))) throw e;
    return jiti.import(file);
  }
}
