// Which parts of a tool name files: the arguments that may be paths (`-u dic/user.dic`,
// `--model=m.bin`; not placeholders or options) and its declared `files`. The tool identity
// hashes them; the planner makes a rule that builds one of them run before the tool's tasks.
import { posix } from 'node:path';
import type { Tool } from './validate.js';

/** Argument values that may name a file or directory, relative to the project or absolute. */
export function toolArgumentPaths(command: readonly string[]): string[] {
  const paths: string[] = [];
  for (const arg of command.slice(1)) {
    if (arg.includes('{')) continue;
    const value = arg.startsWith('-') && arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg;
    if (value === '' || value.startsWith('-')) continue;
    paths.push(value);
  }
  return paths;
}

/** Project-relative posix paths of every file the tool names (arguments and `files`). */
export function toolProjectPaths(tool: Tool): string[] {
  const out = new Set<string>();
  for (const p of [...toolArgumentPaths(tool.command), ...tool.files]) {
    if (posix.isAbsolute(p)) continue;
    const n = posix.normalize(p.replaceAll('\\', '/'));
    if (n.startsWith('../') || n === '..') continue;
    out.add(n.startsWith('./') ? n.slice(2) : n.replace(/\/$/, ''));
  }
  return [...out];
}
