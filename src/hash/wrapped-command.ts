// Which commands a wrapper runs: `stdbuf -oL lt-proc x.bin` runs lt-proc, `env LC_ALL=C
// sort` runs sort, `sh -c 'bin/tag -m m.bin | sort'` runs bin/tag and sort. The tool
// identity hashes those executables too, so an upgraded lt-proc reruns its stages; what a
// wrapper hides from this reading (a command in a variable, an unknown wrapper) is reported,
// so `pipe why` can say what the identity does not cover.

/** Options that take a separate value, per wrapper; the rest are flags. */
const WRAPPERS: Record<string, { valued: ReadonlySet<string>; leading?: 'duration' }> = {
  stdbuf: { valued: new Set(['-i', '-o', '-e']) },
  env: { valued: new Set(['-u', '-C', '--unset', '--chdir']) },
  nice: { valued: new Set(['-n', '--adjustment']) },
  timeout: { valued: new Set(['-s', '-k', '--signal', '--kill-after']), leading: 'duration' },
  nohup: { valued: new Set() },
  ionice: { valued: new Set(['-c', '-n', '--class', '--classdata']) },
};

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh']);

/** Words before a shell command's own name. */
const PREFIXES = new Set(['exec', 'time', '!', 'command', 'if', 'while', 'until', 'then', 'do', 'else', '{']);

/** Shell words that are not commands to find on PATH. */
const SHELL_WORDS = new Set(['cd', 'echo', 'printf', 'test', '[', 'true', 'false', 'set', 'export', 'read', 'then', 'do', 'done', 'fi', 'if', 'else', 'while', 'for', 'in', 'case', 'esac', ':', '.', 'source', 'eval', 'shift', 'exit', 'wait', 'time', '!', '{', '}']);

export interface Wrapped {
  /** Commands (argv[0] as written) that the wrappers run, outermost first. */
  commands: string[];
  /** Words of a `sh -c` script that may name files (`-m m.bin`): hashed when they name one. */
  paths: string[];
  /** What this reading cannot see through, in words for `pipe why` and a warning. */
  uncovered: string[];
}

export function wrappedCommands(argv: readonly string[]): Wrapped {
  const out: Wrapped = { commands: [], paths: [], uncovered: [] };
  let rest = argv;
  // Wrappers nest (`env LC_ALL=C stdbuf -oL tool`); a few levels are plenty.
  for (let depth = 0; depth < 8 && rest.length > 0; depth++) {
    const name = basename(rest[0] as string);
    if (SHELLS.has(name)) {
      shellCommands(rest.slice(1), out);
      return out;
    }
    const w = WRAPPERS[name];
    if (w === undefined) return out;
    const inner = unwrap(name, w, rest.slice(1));
    if (inner === undefined) {
      out.uncovered.push(`the command ${name} runs (its arguments could not be read)`);
      return out;
    }
    if (inner.length === 0) return out;
    out.commands.push(inner[0] as string);
    rest = inner;
  }
  return out;
}

/** The argv a wrapper runs, after its options; undefined: not understood (`env -S`). */
function unwrap(name: string, w: (typeof WRAPPERS)[string], args: readonly string[]): readonly string[] | undefined {
  let i = 0;
  let leading = w.leading;
  while (i < args.length) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (name === 'env' && (a === '-S' || a.startsWith('--split-string') || (a.startsWith('-S') && a.length > 2))) return undefined;
    if (a.startsWith('-') && a.length > 1) {
      // `-n 5` takes a value; `-n5`, `--signal=KILL`, `-oL` carry theirs.
      if (w.valued.has(a)) i++;
      i++;
      continue;
    }
    if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
      i++;
      continue;
    }
    if (leading === 'duration') {
      leading = undefined;
      i++;
      continue;
    }
    break;
  }
  return args.slice(i);
}

/** `sh -c SCRIPT`: the first word of each simple command in SCRIPT. `sh FILE` is a file argument already. */
function shellCommands(args: readonly string[], out: Wrapped): void {
  const c = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
  const script = c === -1 ? undefined : args[c + 1];
  if (script === undefined) return;
  if (/[$`]/.test(script)) out.uncovered.push(`commands named by variables or substitutions in ${JSON.stringify(script)}`);
  for (const segment of script.split(/\|\||&&|[|;&\n()]/)) {
    const words = segment.trim().split(/\s+/).filter((w) => w !== '');
    // Skip assignments, redirections and prefixes (`exec`, `time`) before the command word.
    const at = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && !/^\d*[<>]/.test(w) && !PREFIXES.has(w));
    const first = words[at];
    if (first === undefined || SHELL_WORDS.has(first) || /[$`'"*?]/.test(first)) continue;
    out.commands.push(first);
    for (const w of words.slice(at + 1)) {
      const value = w.startsWith('-') && w.includes('=') ? w.slice(w.indexOf('=') + 1) : w.replace(/^\d*[<>]+/, '');
      if (value !== '' && !value.startsWith('-') && !/[$`'"*?]/.test(value)) out.paths.push(value);
    }
    const nested = wrappedCommands(words.slice(at));
    out.commands.push(...nested.commands);
    out.paths.push(...nested.paths);
    out.uncovered.push(...nested.uncovered);
  }
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
