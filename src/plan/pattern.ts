// Path patterns: `data/{doc}.txt` ({wildcards} bind across a rule's inputs and outputs) and
// globs (`out/*.parse`) for gather rules. A wildcard matches one or more characters other
// than '/', so `data/{doc}.txt` never reaches into subdirectories by surprise.
import picomatch from 'picomatch';
import { err, ok, type Result } from '../util/result.js';

export interface Pattern {
  source: string;
  wildcards: string[];
  glob: boolean;
  /** Matches a concrete path, capturing the wildcards in order of first appearance. */
  match: (path: string) => Record<string, string> | undefined;
  /** Fills the wildcards (precompiled: this runs for every task of every plan). */
  substitute: (bindings: Readonly<Record<string, string>>) => string;
  /** A fast-glob pattern that finds the existing files this pattern may match. */
  scan: string;
}

const WILDCARD = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function hasGlob(s: string): boolean {
  return /[*?[\]]/.test(s.replace(WILDCARD, '')) || /\{[^}]*,[^}]*\}/.test(s);
}

export function parsePattern(source: string): Result<Pattern, string> {
  if (hasGlob(source)) {
    if (WILDCARD.test(source)) {
      WILDCARD.lastIndex = 0;
      return err('a pattern cannot mix {wildcards} and glob characters');
    }
    const isMatch = picomatch(source, { dot: false });
    return ok({ source, wildcards: [], glob: true, match: (p) => (isMatch(p) ? {} : undefined), substitute: () => source, scan: source });
  }
  const stripped = source.replace(WILDCARD, '');
  if (/[{}]/.test(stripped)) return err("unbalanced or invalid '{...}': wildcards are {name} with letters, digits and _");
  const wildcards: string[] = [];
  const parts: (string | number)[] = [];
  let re = '^';
  let last = 0;
  for (const m of source.matchAll(WILDCARD)) {
    const name = m[1] ?? '';
    const lit = source.slice(last, m.index);
    re += escapeRe(lit);
    if (lit !== '') parts.push(lit);
    const seenAt = wildcards.indexOf(name);
    if (seenAt >= 0) re += `\\${seenAt + 1}`;
    else {
      wildcards.push(name);
      re += '([^/]+)';
    }
    parts.push(seenAt >= 0 ? seenAt : wildcards.length - 1);
    last = m.index + m[0].length;
  }
  const tail = source.slice(last);
  re += escapeRe(tail) + '$';
  if (tail !== '') parts.push(tail);
  const regex = new RegExp(re);
  let match: Pattern['match'];
  const [w0] = wildcards;
  if (wildcards.length === 1 && w0 !== undefined && parts.filter((x) => typeof x === 'number').length === 1) {
    // The common shape `prefix{w}suffix`: no regex, one slice.
    const prefix = typeof parts[0] === 'string' ? parts[0] : '';
    const suffix = typeof parts.at(-1) === 'string' ? (parts.at(-1) as string) : '';
    const min = prefix.length + suffix.length;
    match = (p) => {
      if (p.length <= min || !p.startsWith(prefix) || !p.endsWith(suffix)) return undefined;
      const v = p.slice(prefix.length, p.length - suffix.length);
      return v.includes('/') ? undefined : { [w0]: v };
    };
  } else {
    match = (p) => {
      const m = regex.exec(p);
      if (m === null) return undefined;
      const b: Record<string, string> = {};
      for (let i = 0; i < wildcards.length; i++) b[wildcards[i] ?? ''] = m[i + 1] ?? '';
      return b;
    };
  }
  const literal = wildcards.length === 0;
  const substitute = (b: Readonly<Record<string, string>>): string => {
    if (literal) return source;
    let out = '';
    for (const x of parts) {
      if (typeof x === 'string') out += x;
      else {
        const v = b[wildcards[x] ?? ''];
        if (v === undefined) throw new Error(`unbound wildcard {${wildcards[x] ?? ''}} in ${source}`);
        out += v;
      }
    }
    return out;
  };
  return ok({ source, wildcards, glob: false, match, substitute, scan: source.replace(WILDCARD, '*').replace(/\*+/g, '*') });
}


function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
