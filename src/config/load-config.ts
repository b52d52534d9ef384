// Finds and loads pipeline.config.{ts,mts,js,mjs}: .js/.mjs by native import (fast), .ts by
// jiti (cached transpile), so a config outside this repo never needs to resolve `docpipe`.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { err, ok, type Result } from '../util/result.js';

export const CONFIG_NAMES = ['pipeline.config.ts', 'pipeline.config.mts', 'pipeline.config.js', 'pipeline.config.mjs'] as const;

export type LoadFailure =
  | { reason: 'config-not-found'; root: string; tried: string[] }
  | { reason: 'config-threw'; file: string; message: string }
  | { reason: 'config-no-default'; file: string };

export interface LoadedConfig {
  file: string;
  /** The default export, not yet validated. */
  raw: unknown;
}

export function findConfig(root: string, explicit?: string): Result<string, LoadFailure> {
  if (explicit !== undefined) {
    const file = isAbsolute(explicit) ? explicit : resolve(explicit);
    return existsSync(file) ? ok(file) : err({ reason: 'config-not-found', root, tried: [file] });
  }
  const tried = CONFIG_NAMES.map((n) => join(root, n));
  const file = tried.find((f) => existsSync(f));
  return file === undefined ? err({ reason: 'config-not-found', root, tried }) : ok(file);
}

export async function loadConfig(file: string): Promise<Result<LoadedConfig, LoadFailure>> {
  let mod: unknown;
  try {
    if (/\.m?js$/.test(file)) {
      mod = await import(pathToFileURL(file).href + `?t=${Date.now()}`);
    } else {
      const { createJiti } = await import('jiti');
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: true, interopDefault: true });
      mod = await jiti.import(file);
    }
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return err({ reason: 'config-threw', file, message });
  }
  const raw = (mod as { default?: unknown } | null)?.default ?? mod;
  if (raw === undefined || raw === null || (typeof raw === 'object' && Object.keys(raw).length === 0 && !('rules' in raw))) {
    return err({ reason: 'config-no-default', file });
  }
  return ok({ file, raw });
}
