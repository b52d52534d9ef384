// Validates a raw config object into a normalized pipeline, or a list of diagnostics that
// each name the config file, the rule or tool, the field, the bad value and what was expected.
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';
import { closest } from '../util/closest.js';
import { err, ok, type Result } from '../util/result.js';
import { hasGlob, parsePattern, type Pattern } from '../plan/pattern.js';

export interface Diagnostic {
  file: string;
  /** Where in the config: `rules[2] (parse).input`, `tools.tokenize.command`. */
  at: string;
  message: string;
}

/** How a warm tool's records are framed: the pool's own definition. */
export type { Framing } from '../tools/warm-types.js';
import type { Framing } from '../tools/warm-types.js';

export interface Tool {
  /** Config name, or `rule:<name>` for a rule's inline command. */
  name: string;
  command: string[];
  warm: Framing | null;
  files: string[];
  env: string[];
  prelude: number;
  timeoutMs: number;
  startupMs: number;
  instances: number;
  idleMs: number;
  retries: number;
  /** Warm: a fresh instance for every document. */
  restart?: 'per-document';
}

export interface Rule {
  name: string;
  index: number;
  inputs: Pattern[];
  outputs: Pattern[];
  tool: Tool;
  /** 'map': wildcards bind inputs to outputs. 'gather': glob inputs, fixed outputs. */
  kind: 'map' | 'gather';
  /** Inputs go to stdin (no `{input}` placeholder) / stdout becomes the output. */
  stdin: boolean;
  stdout: boolean;
}

export interface Pipeline {
  file: string;
  tools: Map<string, Tool>;
  rules: Rule[];
  cacheBytes: number;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?\}/g;
const TOOL_FIELDS = new Set(['command', 'warm', 'files', 'env', 'prelude', 'timeoutMs', 'startupMs', 'instances', 'idleMs', 'retries', 'restart']);
const RULE_FIELDS = new Set(['name', 'input', 'output', 'tool', 'command']);
const TOP_FIELDS = new Set(['tools', 'rules', 'cacheBytes']);

export function validateConfig(file: string, raw: unknown): Result<Pipeline, Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const bad = (at: string, message: string): void => {
    diags.push({ file, at, message });
  };
  if (!isObject(raw)) {
    bad('default export', `expected an object with \`rules\`, got ${show(raw)}`);
    return err(diags);
  }
  for (const k of Object.keys(raw)) {
    if (!TOP_FIELDS.has(k)) bad(k, `unknown field ${show(k)}; expected one of ${[...TOP_FIELDS].join(', ')}${hint(k, TOP_FIELDS)}`);
  }

  const tools = new Map<string, Tool>();
  const definedTools = new Set<string>();
  if (raw['tools'] !== undefined) {
    if (!isObject(raw['tools'])) bad('tools', `expected an object mapping tool names to { command: [...] }, got ${show(raw['tools'])}`);
    else {
      for (const [name, t] of Object.entries(raw['tools'])) {
        definedTools.add(name);
        const tool = validateTool(name, `tools.${name}`, t, bad);
        if (tool !== undefined) tools.set(name, tool);
      }
    }
  }

  let cacheBytes = 1024 ** 3;
  if (raw['cacheBytes'] !== undefined) {
    const v = raw['cacheBytes'];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad('cacheBytes', `expected a whole number of bytes >= 0, got ${show(v)}`);
    else cacheBytes = v;
  }

  const rules: Rule[] = [];
  const rawRules = raw['rules'];
  if (!Array.isArray(rawRules)) {
    bad('rules', `expected an array of rules, got ${show(rawRules)}`);
    return err(diags);
  }
  const seen = new Set<string>();
  rawRules.forEach((r: unknown, index: number) => {
    const name = isObject(r) && typeof r['name'] === 'string' ? r['name'] : undefined;
    const at = `rules[${index}]${name !== undefined ? ` (${name})` : ''}`;
    if (!isObject(r)) {
      bad(at, `expected a rule object { name, input, output, tool | command }, got ${show(r)}`);
      return;
    }
    for (const k of Object.keys(r)) {
      if (!RULE_FIELDS.has(k)) bad(`${at}.${k}`, `unknown field ${show(k)}; expected one of ${[...RULE_FIELDS].join(', ')}${hint(k, RULE_FIELDS)}`);
    }
    if (name === undefined || name === '') {
      bad(`${at}.name`, `expected a non-empty string, got ${show(r['name'])}`);
      return;
    }
    if (seen.has(name)) bad(`${at}.name`, `duplicate rule name ${show(name)}; rule names must be unique`);
    seen.add(name);

    const inputs = patternList(`${at}.input`, r['input'], bad, false);
    const outputs = patternList(`${at}.output`, r['output'], bad, true);
    let tool: Tool | undefined;
    if (r['tool'] !== undefined && r['command'] !== undefined) {
      bad(at, 'has both `tool` and `command`; give one of them');
    } else if (r['tool'] !== undefined) {
      if (typeof r['tool'] !== 'string') bad(`${at}.tool`, `expected a tool name (string), got ${show(r['tool'])}`);
      else {
        tool = tools.get(r['tool']);
        // A defined tool with its own errors was reported already; "unknown" would mislead.
        if (tool === undefined && !definedTools.has(r['tool'])) {
          const known = [...tools.keys()];
          bad(`${at}.tool`, `unknown tool ${show(r['tool'])}; defined tools: ${known.length > 0 ? known.join(', ') : '(none)'}${hint(r['tool'], known)}`);
        }
      }
    } else if (r['command'] !== undefined) {
      tool = validateTool(`rule:${name}`, `${at}.command`, { command: r['command'] }, bad);
    } else {
      bad(at, 'needs `tool` (a name from `tools`) or `command` (an argv array)');
    }
    if (inputs === undefined || outputs === undefined || tool === undefined) return;

    const gather = inputs.some((p) => p.glob);
    const inWild = new Set(inputs.flatMap((p) => p.wildcards));
    const outWild = new Set(outputs.flatMap((p) => p.wildcards));
    if (gather) {
      if (inWild.size > 0) bad(`${at}.input`, `mixes {wildcards} (${[...inWild].join(', ')}) with glob patterns; a gather rule takes globs only`);
      if (outWild.size > 0) bad(`${at}.output`, `a gather rule (glob input) must have fixed outputs, but ${show(outputs.find((p) => p.wildcards.length > 0)?.source)} has {wildcards}`);
    } else {
      for (const w of inWild) {
        for (const o of outputs) {
          if (!o.wildcards.includes(w)) bad(`${at}.output`, `${show(o.source)} lacks the wildcard {${w}} used in the input, so different inputs would write the same output`);
        }
      }
      for (const w of outWild) {
        if (!inWild.has(w)) bad(`${at}.output`, `wildcard {${w}} in the output does not appear in any input, so it cannot be bound`);
      }
      const loop = selfFeeding(inputs, outputs);
      if (loop !== undefined) {
        bad(`${at}.output`, `${show(loop.output)} is matched by the rule's own input ${show(loop.input)}: every output would be read again as an input (${loop.example}), without end; give the outputs another directory or an extension the input does not match`);
      }
    }

    // Placeholders in the command.
    let stdin = true;
    let stdout = true;
    for (const arg of tool.command) {
      for (const m of arg.matchAll(PLACEHOLDER)) {
        const [, ph, idx] = m;
        if (ph === 'input' || ph === 'output') {
          if (ph === 'input') stdin = false;
          else stdout = false;
          const n = ph === 'input' ? inputs.length : outputs.length;
          if (idx !== undefined && Number(idx) >= n && !gather) bad(`${at}.command`, `${show(m[0])} is out of range: the rule has ${n} ${ph}(s)`);
        } else if (!inWild.has(ph ?? '')) {
          bad(`${at}.command`, `unknown placeholder ${show(m[0])}; expected {input}, {output}, {input[N]}, {output[N]}${inWild.size > 0 ? ' or a wildcard: ' + [...inWild].map((w) => `{${w}}`).join(', ') : ''}`);
        }
      }
    }
    if (stdout && outputs.length > 1) {
      bad(`${at}.output`, `has ${outputs.length} outputs but the command has no {output} placeholder; stdout can fill only one output`);
    }
    if (tool.warm !== null && (!stdin || !stdout)) {
      bad(`${at}.tool`, `tool ${show(tool.name)} is warm, so it must read records on stdin and write them on stdout; its command may not use {input}/{output}`);
    }
    rules.push({ name, index, inputs, outputs, tool, kind: gather ? 'gather' : 'map', stdin, stdout });
  });

  // Identical output patterns in two rules are a certain collision; overlapping concrete
  // outputs are caught when the plan is built.
  const byOutput = new Map<string, string>();
  for (const r of rules) {
    for (const o of r.outputs) {
      const shape = o.source.replace(/\{[^}]+\}/g, '{}');
      const prev = byOutput.get(shape);
      if (prev !== undefined && prev !== r.name) bad(`rules[${r.index}] (${r.name}).output`, `${show(o.source)} collides with an output of rule ${show(prev)}: both would write the same files`);
      byOutput.set(shape, r.name);
    }
  }

  return diags.length > 0 ? err(diags) : ok({ file, tools, rules, cacheBytes });
}

function validateTool(name: string, at: string, t: unknown, bad: (at: string, m: string) => void): Tool | undefined {
  if (!isObject(t)) {
    bad(at, `expected { command: [...] }, got ${show(t)}`);
    return undefined;
  }
  const inline = name.startsWith('rule:');
  if (!inline) {
    for (const k of Object.keys(t)) {
      if (!TOOL_FIELDS.has(k)) bad(`${at}.${k}`, `unknown field ${show(k)}; expected one of ${[...TOOL_FIELDS].join(', ')}${hint(k, TOOL_FIELDS)}`);
    }
  }
  const cmdAt = inline ? at : `${at}.command`;
  const command = t['command'];
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string') || command[0] === '') {
    bad(cmdAt, `expected a non-empty argv array of strings like ['bin/tokenize', '-m', 'model'], got ${show(command)}`);
    return undefined;
  }
  const num = (field: string, dflt: number, min: number): number => {
    const v = t[field];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      bad(`${at}.${field}`, `expected a whole number >= ${min}, got ${show(v)}`);
      return dflt;
    }
    return v;
  };
  const strings = (field: string): string[] => {
    const v = t[field];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
      bad(`${at}.${field}`, `expected an array of non-empty strings, got ${show(v)}`);
      return [];
    }
    return v as string[];
  };
  return {
    name,
    command: command as string[],
    warm: warmFraming(`${at}.warm`, t['warm'], bad),
    files: strings('files'),
    env: strings('env'),
    prelude: num('prelude', 0, 0),
    timeoutMs: num('timeoutMs', 0, 0),
    startupMs: num('startupMs', 60_000, 0),
    instances: num('instances', availableParallelism(), 1),
    idleMs: num('idleMs', 60_000, 0),
    retries: num('retries', 0, 0),
    ...restartSetting(`${at}.restart`, t['restart'], bad),
  };
}

function restartSetting(at: string, v: unknown, bad: (at: string, m: string) => void): { restart?: 'per-document' } {
  if (v === undefined || v === 'never') return {};
  if (v === 'per-document') return { restart: 'per-document' };
  bad(at, `expected 'never' or 'per-document', got ${show(v)}`);
  return {};
}

function warmFraming(at: string, w: unknown, bad: (at: string, m: string) => void): Framing | null {
  if (w === undefined || w === false) return null;
  if (w === true) return { kind: 'lines' };
  if (w === 'sentinel') return { kind: 'sentinel' };
  if (!isObject(w)) {
    bad(at, `expected true, false, 'sentinel' or { framing?, sentinel?, input?, output?, protocol? }, got ${show(w)}`);
    return null;
  }
  const fields = ['framing', 'sentinel', 'input', 'output', 'protocol'];
  for (const k of Object.keys(w)) {
    if (!fields.includes(k)) bad(`${at}.${k}`, `unknown field ${show(k)}; expected framing, sentinel, input, output or protocol`);
  }
  const protocol = w['protocol'] ?? 'records';
  if (protocol === 'json') return { kind: 'json' };
  if (protocol !== 'records') {
    bad(`${at}.protocol`, `expected 'records' or 'json', got ${show(protocol)}`);
    return null;
  }
  const sentinel = w['sentinel'];
  if (sentinel !== undefined && sentinel !== false && (typeof sentinel !== 'string' || sentinel === '' || sentinel.includes('\n'))) {
    bad(`${at}.sentinel`, `expected a one-line marker text such as 'docpipesentinel', or false (no verifier), got ${show(sentinel)}`);
    return null;
  }
  const marker = sentinel === false ? { sentinel: null } : typeof sentinel === 'string' ? { sentinel } : {};
  const framing = w['framing'] ?? 'lines';
  if (framing === 'sentinel') {
    if (w['input'] !== undefined || w['output'] !== undefined) {
      bad(`${at}.framing`, `'sentinel' framing needs no input/output terminators (the sentinel ends each document); remove them or use framing 'lines'`);
      return null;
    }
    if (sentinel === false) {
      bad(`${at}.sentinel`, `'sentinel' framing needs a sentinel (it ends each document), got false`);
      return null;
    }
    return { kind: 'sentinel', ...(typeof sentinel === 'string' ? { sentinel } : {}) };
  }
  if (framing !== 'lines') {
    bad(`${at}.framing`, `expected 'lines' (one answer per record) or 'sentinel' (any stdin->stdout tool), got ${show(framing)}`);
    return null;
  }
  const re = (field: string): RegExp | undefined => {
    const v = w[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      bad(`${at}.${field}`, `expected a regular expression source string such as '^$', got ${show(v)}`);
      return undefined;
    }
    try {
      return new RegExp(v);
    } catch (e) {
      bad(`${at}.${field}`, `${show(v)} is not a valid regular expression: ${(e as Error).message}`);
      return undefined;
    }
  };
  const input = re('input');
  const output = re('output');
  if (input === undefined && output === undefined) return { kind: 'lines', ...marker };
  return { kind: 'terminated', input: input ?? /^$/, output: output ?? /^$/, ...marker };
}

function patternList(at: string, v: unknown, bad: (at: string, m: string) => void, isOutput: boolean): Pattern[] | undefined {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x !== '')) {
    bad(at, `expected a path pattern like 'data/{doc}.txt' or an array of them, got ${show(v)}`);
    return undefined;
  }
  const out: Pattern[] = [];
  for (const s of list as string[]) {
    const norm = posix.normalize(s);
    if (isOutput && (posix.isAbsolute(norm) || norm.startsWith('../') || norm === '..')) {
      bad(at, `output ${show(s)} must stay inside the project root`);
      continue;
    }
    if (isOutput && hasGlob(norm)) {
      bad(at, `output ${show(s)} contains glob characters; outputs must be paths or {wildcard} patterns`);
      continue;
    }
    const p = parsePattern(norm);
    if (!p.ok) {
      bad(at, `${show(s)}: ${p.error}`);
      continue;
    }
    out.push(p.value);
  }
  return out.length === list.length ? out : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'nothing';
  if (typeof v === 'function') return 'a function';
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(v);
  }
}

function hint(value: string, candidates: Iterable<string>): string {
  const c = closest(value, [...candidates], 1)[0];
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}

/**
 * An output pattern that the same rule's input pattern matches, with the output longer than
 * the input it came from (`data/{doc}.txt` -> `data/{doc}.clean.txt`), derives without end:
 * each output is an input again. An output shorter than its input (`{a}.{b}` -> `{a}`) ends.
 */
function selfFeeding(inputs: Pattern[], outputs: Pattern[]): { input: string; output: string; example: string } | undefined {
  // With several inputs, a derived path may lack its companions and wait forever instead:
  // only the planner's bound can tell (see MAX_DERIVATION_DEPTH).
  if (inputs.length !== 1) return undefined;
  const sample = (p: Pattern): Record<string, string> => Object.fromEntries(p.wildcards.map((w) => [w, 'x']));
  for (const o of outputs) {
    for (const i of inputs) {
      const out = o.substitute(sample(o));
      const from = i.substitute(sample(i));
      if (out.length > from.length && i.match(out) !== undefined) {
        const next = o.substitute(i.match(out) ?? {});
        return { input: i.source, output: o.source, example: `${from} -> ${out} -> ${next} -> ...` };
      }
    }
  }
  return undefined;
}
