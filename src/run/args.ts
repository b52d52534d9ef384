// `pipe run`'s arguments: the option table (shared with commander's help in src/cli/run.ts),
// the usage text and the parser. Loaded by the bundled run client: no imports.
export interface RunArgs {
  command: string[];
  /** Input record terminator regex source (-t). */
  input?: string;
  /** Output record terminator regex source (-T). */
  output?: string;
  prelude: number;
  idleSeconds?: number;
  timeoutMs?: number;
  instances?: number;
  help: boolean;
}

export interface OptionSpec {
  short?: string;
  long: string;
  value: string;
  description: string;
}

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { short: '-t', long: '--input-term', value: 'regex', description: 'a line matching it ends an input record (multi-line records; default: every line is a record)' },
  { short: '-T', long: '--output-term', value: 'regex', description: 'a line matching it ends an output record (default: the -t regex, or one line per record)' },
  { short: '-P', long: '--prelude', value: 'n', description: 'the tool prints n records once at start-up; they head every output (default 0)' },
  { short: '-w', long: '--idle', value: 'seconds', description: 'the server exits after this long without calls (default 300)' },
  { long: '--timeout-ms', value: 'n', description: 'longest one record may take before the tool counts as hung (default 30000)' },
  { short: '-n', long: '--instances', value: 'n', description: 'copies of the tool the server may run for concurrent calls (default 2)' },
];

export const RUN_DESCRIPTION = 'serve stdin through a warm copy of a record tool (started once, reused by later calls, keyed by the content of its files)';

export function runUsage(): string {
  const rows = RUN_OPTIONS.map((o) => [`${o.short !== undefined ? `${o.short}, ` : '    '}${o.long} <${o.value}>`, o.description] as const);
  const width = Math.max(...rows.map(([flags]) => flags.length));
  return [
    'Usage: pipe run [options] -- <command...>',
    '',
    RUN_DESCRIPTION,
    '',
    'Options:',
    ...rows.map(([flags, d]) => `  ${flags.padEnd(width)}  ${d}`),
    `  ${'-h, --help'.padEnd(width)}  display help for command`,
    '',
    'Example: cat in.txt | pipe run -t "^$" -- ./parse -m model > out.txt',
    '',
  ].join('\n');
}

/** Parses the arguments after `run`; the error quotes the bad value and what was expected. */
export function parseRunArgs(args: readonly string[]): { ok: true; value: RunArgs } | { ok: false; error: string } {
  const out: RunArgs = { command: [], prelude: 0, help: false };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') break; // the command starts here
    let name = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else if (!arg.startsWith('--') && arg.length > 2) {
      name = arg.slice(0, 2);
      value = arg.slice(2);
    }
    const spec = RUN_OPTIONS.find((o) => o.short === name || o.long === name);
    if (spec === undefined) return { ok: false, error: `unknown option '${arg}' (see pipe run --help)` };
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) return { ok: false, error: `option '${name}' needs a <${spec.value}>` };
    }
    const problem = setOption(out, spec.long, value);
    if (problem !== null) return { ok: false, error: `option '${name}': ${problem}` };
  }
  out.command = args.slice(i);
  if (out.command.length === 0 && !out.help) return { ok: false, error: 'missing the command to run, e.g. pipe run -- ./parse -m model' };
  if (out.input !== undefined && out.output === undefined) out.output = out.input;
  // -T alone: every input line is a record, answered by a terminated block.
  if (out.output !== undefined && out.input === undefined) out.input = '';
  return { ok: true, value: out };
}

function setOption(out: RunArgs, long: string, value: string): string | null {
  switch (long) {
    case '--input-term':
    case '--output-term': {
      try {
        new RegExp(value);
      } catch (e) {
        return `'${value}' is not a valid regular expression (${(e as Error).message})`;
      }
      if (long === '--input-term') out.input = value;
      else out.output = value;
      return null;
    }
    case '--prelude':
      return integer(value, 0, 1_000_000, (n) => (out.prelude = n));
    case '--instances':
      return integer(value, 1, 64, (n) => (out.instances = n));
    case '--timeout-ms':
      return integer(value, 1, 2 ** 31 - 1, (n) => (out.timeoutMs = n));
    case '--idle': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 2_000_000) return `expected seconds > 0, got '${value}'`;
      out.idleSeconds = n;
      return null;
    }
    default:
      return `unhandled option ${long}`;
  }
}

function integer(value: string, min: number, max: number, set: (n: number) => void): string | null {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) return `expected a whole number from ${min} to ${max}, got '${value}'`;
  set(n);
  return null;
}
