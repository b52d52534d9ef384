// Checks a WarmToolSpec up front and derives the key its instances are shared under.

import { isAbsolute } from 'node:path';
import type { WarmToolSpec } from './warm-types.js';

/**
 * Throws a TypeError quoting the first bad field. A bad spec is a bug in the caller (config
 * validation should have caught it), not a failure of the document.
 */
export function validateSpec(spec: WarmToolSpec): void {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new TypeError(`warm tool ${JSON.stringify(spec.name)}: ${field} is ${show(value)}, expected ${expected}`);
  };
  if (typeof spec.name !== 'string' || spec.name === '') bad('name', spec.name, 'a non-empty string');
  if (typeof spec.identity !== 'string' || spec.identity === '') bad('identity', spec.identity, 'a non-empty string');
  const argv0 = spec.argv[0];
  if (argv0 === undefined || !isAbsolute(argv0)) bad('argv[0]', argv0, 'an absolute path');
  if (typeof spec.cwd !== 'string' || !isAbsolute(spec.cwd)) bad('cwd', spec.cwd, 'an absolute path');
  if (!(spec.timeoutMs > 0)) bad('timeoutMs', spec.timeoutMs, 'a number > 0');
  if (spec.startupMs !== undefined && !(spec.startupMs >= 0)) bad('startupMs', spec.startupMs, 'a number >= 0');
  if (!(spec.idleMs >= 0)) bad('idleMs', spec.idleMs, 'a number >= 0 (Infinity: never)');
  if (!Number.isInteger(spec.instances) || spec.instances < 1) bad('instances', spec.instances, 'an integer >= 1');
  if (!Number.isInteger(spec.retries) || spec.retries < 0) bad('retries', spec.retries, 'an integer >= 0');
  if (!Number.isInteger(spec.prelude) || spec.prelude < 0) bad('prelude', spec.prelude, 'an integer >= 0');
  const framing = spec.framing;
  const sentinel = 'sentinel' in framing ? framing.sentinel : undefined;
  if (sentinel !== undefined && sentinel !== null && (typeof sentinel !== 'string' || sentinel === '' || sentinel.includes('\n'))) {
    bad('framing.sentinel', sentinel, 'a non-empty string without newlines, or null');
  }
  if (spec.keyEnv !== undefined && !(Array.isArray(spec.keyEnv) && spec.keyEnv.every((name) => typeof name === 'string'))) {
    bad('keyEnv', spec.keyEnv, 'an array of variable names');
  }
  switch (framing.kind) {
    case 'lines':
      break;
    case 'sentinel':
      if (sentinel === null) bad('framing.sentinel', null, 'a string with the sentinel framing (it ends every document)');
      break;
    case 'terminated':
      if (!(framing.input instanceof RegExp)) bad('framing.input', framing.input, 'a RegExp');
      if (!(framing.output instanceof RegExp)) bad('framing.output', framing.output, 'a RegExp');
      break;
    case 'json':
      if (spec.prelude !== 0) bad('prelude', spec.prelude, '0 with the json framing (workers print no prelude)');
      break;
    default:
      bad('framing.kind', (framing as { kind: unknown }).kind, "'lines', 'terminated', 'sentinel' or 'json'");
  }
}

function show(value: unknown): string {
  return value instanceof RegExp ? String(value) : JSON.stringify(value) ?? String(value);
}

/**
 * Whether an environment variable is part of the instance key: the tool's declared `env`,
 * PATH (which programs a wrapper finds) and the locale (LANG, LANGUAGE, LC_*), which
 * changes how tools read and write text. Anything else in a daemon client's environment
 * (a terminal's variables, a shell's counters) must not restart a warm tool.
 */
function keyed(name: string, declared: ReadonlySet<string> | null): boolean {
  if (declared === null) return true;
  return declared.has(name) || name === 'PATH' || name === 'LANG' || name === 'LANGUAGE' || name.startsWith('LC_');
}

/**
 * Instances are shared only between specs that would start the same process the same way:
 * the identity plus name, argv, cwd, the environment that matters (see `keyed`), framing
 * (sentinel included). (Two configured tools may share an executable, hence an identity, yet
 * differ in arguments.)
 */
export function specKey(spec: WarmToolSpec): string {
  const framing = spec.framing;
  const framingKey =
    framing.kind === 'terminated' ? [framing.kind, String(framing.input), String(framing.output)] : [framing.kind];
  if ('sentinel' in framing) framingKey.push(framing.sentinel === null ? 'no-sentinel' : `sentinel=${framing.sentinel ?? ''}`);
  const declared = spec.keyEnv === undefined ? null : new Set(spec.keyEnv);
  const env = Object.keys(spec.env)
    .filter((name) => keyed(name, declared))
    .sort()
    .map((name) => `${name}=${spec.env[name]}`);
  return JSON.stringify([spec.identity, spec.name, spec.argv, spec.cwd, env, framingKey, spec.prelude]);
}
