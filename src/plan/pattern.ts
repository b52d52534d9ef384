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
    return ok({ source, wildcards: [], glob: true, match: (p) => (isMatch(p) ? {} : undefined), scan: source });
  }
  const stripped = source.replace(WILDCARD, '');
  if (/[{}]/.test(stripped)) return err("unbalanced or invalid '{...}': wildcards are {name} with letters, digits and _");
  const wildcards: string[] = [];
  let re = '^';
  let last = 0;
  for (const m of source.matchAll(WILDCARD)) {
    const name = m[1] ?? '';
    re += escapeRe(source.slice(last, m.index));
    const seenAt = wildcards.indexOf(name);
    if (seenAt >= 0) re += `\\${seenAt + 1}`;
    else {
      wildcards.push(name);
      re += '([^/]+)';
    }
    last = m.index + m[0].length;
  }
  re += escapeRe(source.slice(last)) + '$';
  const regex = new RegExp(re);
  const match = (p: string): Record<string, string> | undefined => {
    const m = regex.exec(p);
    if (m === null) return undefined;
    const b: Record<string, string> = {};
    for (let i = 0; i < wildcards.length; i++) b[wildcards[i] ?? ''] = m[i + 1] ?? '';
    return b;
  };
  return ok({ source, wildcards, glob: false, match, scan: source.replace(WILDCARD, '*').replace(/\*+/g, '*') });
}

/** Fills a pattern's wildcards; every wildcard must be bound. */
export function substitute(p: Pattern, bindings: Readonly<Record<string, string>>): string {
  return p.source.replace(WILDCARD, (_, name: string) => {
    const v = bindings[name];
    if (v === undefined) throw new Error(`unbound wildcard {${name}} in ${p.source}`);
    return v;
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
