// The tool settings besides its identity that can change a stage's output bytes: how a warm
// tool's records are framed (terminator regexes, sentinel, protocol, or cold) and its
// prelude. They are part of the stage key, so a fixed framing rebuilds instead of keeping
// (or restoring from the cache) what the wrong one produced.
import type { Tool } from '../config/validate.js';

/**
 * Every field of a tool, by where it counts. The map is exhaustive over `keyof Tool`, so a
 * field added to Tool does not compile until someone decides whether it changes outputs.
 * - `key`: changes output bytes; part of the stage key (serialised whole, so a field added
 *   to a framing is covered with no change here).
 * - `identity`: hashed by the tool identity or the command line already.
 * - `runtime`: when and how often the tool runs, never what it prints.
 */
const ROLE: Record<keyof Tool, 'key' | 'identity' | 'runtime'> = {
  name: 'runtime',
  command: 'identity',
  files: 'identity',
  env: 'identity',
  warm: 'key',
  prelude: 'key',
  restart: 'key',
  timeoutMs: 'runtime',
  startupMs: 'runtime',
  instances: 'runtime',
  idleMs: 'runtime',
  retries: 'runtime',
};

const KEY_FIELDS = (Object.keys(ROLE) as (keyof Tool)[]).filter((k) => ROLE[k] === 'key').sort();

/** A stable, readable text of the output-affecting settings (`warm` null: runs cold). */
export function outputSettings(tool: Tool): string {
  const fields: Record<string, unknown> = {};
  for (const k of KEY_FIELDS) fields[k] = tool[k] ?? null;
  return JSON.stringify(fields, (_k, v: unknown) => (v instanceof RegExp ? `/${v.source}/${v.flags}` : sortKeys(v)));
}

/** Objects with their keys in order, so that equal settings give equal text. */
function sortKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
