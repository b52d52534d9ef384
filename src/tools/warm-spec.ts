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
  switch (framing.kind) {
    case 'lines':
      break;
    case 'terminated':
      if (!(framing.input instanceof RegExp)) bad('framing.input', framing.input, 'a RegExp');
      if (!(framing.output instanceof RegExp)) bad('framing.output', framing.output, 'a RegExp');
      break;
    case 'json':
      if (spec.prelude !== 0) bad('prelude', spec.prelude, '0 with the json framing (workers print no prelude)');
      break;
    default:
      bad('framing.kind', (framing as { kind: unknown }).kind, "'lines', 'terminated' or 'json'");
  }
}

function show(value: unknown): string {
  return value instanceof RegExp ? String(value) : JSON.stringify(value) ?? String(value);
}

/**
 * Instances are shared only between specs that would start the same process the same way:
 * the identity plus name, argv, cwd, env and framing. (Two configured tools may share an
 * executable, hence an identity, yet differ in arguments.)
 */
export function specKey(spec: WarmToolSpec): string {
  const framing = spec.framing;
  const framingKey =
    framing.kind === 'terminated' ? [framing.kind, String(framing.input), String(framing.output)] : [framing.kind];
  const env = Object.keys(spec.env)
    .sort()
    .map((name) => `${name}=${spec.env[name]}`);
  return JSON.stringify([spec.identity, spec.name, spec.argv, spec.cwd, env, framingKey, spec.prelude]);
}
