// The incremental property: after any sequence of edits, `pipe build` leaves outputs
// byte-identical to a clean build from scratch, and runs the minimum number of tools.
// The minimum comes from an oracle that models the tools in JS: a stage runs iff its
// (input contents, tool, command) signature was never built before (else it is fresh or
// restored from the output cache).
import { utimesSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Project } from '../rig.js';

type Edit =
  | { kind: 'content'; doc: number; text: string }
  | { kind: 'whitespace'; doc: number }
  | { kind: 'touch'; doc: number }
  | { kind: 'delete'; doc: number }
  | { kind: 'add'; text: string }
  | { kind: 'tok-model' | 'parse-model'; version: number }
  | { kind: 'flag' };

const WORDS = ['the', 'cat', 'sat', 'on', 'mat', '.', 'a', 'dog', 'ran', '!'];
const line = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
const text = fc.array(line, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('\n') + '\n');
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('content' as const), doc: fc.nat(), text }),
  fc.record({ kind: fc.constant('whitespace' as const), doc: fc.nat() }),
  fc.record({ kind: fc.constant('touch' as const), doc: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), doc: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), text }),
  fc.record({ kind: fc.constantFrom('tok-model' as const, 'parse-model' as const), version: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('flag' as const) }),
);

function config(flag: boolean): string {
  const tok = JSON.stringify(['tok', '-m', 'models/tok.model', ...(flag ? ['--flag'] : [])]);
  return `export default {
  tools: { tok: { command: ${tok} }, parse: { command: ['parse', '-m', 'models/parse.model'] } },
  rules: [
    { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
    { name: 'parse', input: 'out/{doc}.tok', output: 'out/{doc}.parse', tool: 'parse' },
    { name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats'] },
  ],
};
`;
}

/** JS models of the fixture tools (test/fixtures/bin). */
const tokOut = (content: string, model: string): string =>
  content
    .split('\n')
    .slice(0, -1)
    .map((l) => model + l.replace(/[ \t]+/g, ' ').replace(/^ +| +$/g, '') + '\n')
    .join('');
const parseOut = (tok: string, model: string): string =>
  tok
    .split('\n')
    .slice(0, -1)
    .map((l) => `${model}|${l.split(/[ \t]+/).filter((w) => w !== '').length}|${l}\n`)
    .join('');
const statsOut = (all: string): string => `lines ${all.split('\n').length - 1} bytes ${Buffer.byteLength(all)}\n`;

class World {
  docs = new Map<string, string>();
  tokModel = 'T1';
  parseModel = 'P1';
  flag = false;
  next = 0;
  /** Every signature ever built per task: the output cache makes a repeat free. */
  built = new Map<string, Set<string>>();

  expected(): Map<string, string> {
    const out = new Map<string, string>();
    const parses: string[] = [];
    for (const name of [...this.docs.keys()].sort()) {
      const tok = tokOut(this.docs.get(name) ?? '', this.tokModel);
      const parse = parseOut(tok, this.parseModel);
      out.set(`out/${name}.tok`, tok);
      out.set(`out/${name}.parse`, parse);
      parses.push(parse);
    }
    if (parses.length > 0) out.set('out/corpus.stats', statsOut(parses.join('')));
    return out;
  }

  /** Tool runs the minimum build needs now, recording the new signatures. */
  minimumRuns(): string[] {
    const runs: string[] = [];
    const need = (task: string, sig: string, tool: string): void => {
      let seen = this.built.get(task);
      if (seen === undefined) this.built.set(task, (seen = new Set()));
      if (!seen.has(sig)) {
        seen.add(sig);
        runs.push(tool);
      }
    };
    const parses: string[] = [];
    for (const name of [...this.docs.keys()].sort()) {
      const content = this.docs.get(name) ?? '';
      need(`tok:${name}`, `${content}\0${this.tokModel}\0${this.flag}`, 'tok');
      const tok = tokOut(content, this.tokModel);
      need(`parse:${name}`, `${tok}\0${this.parseModel}`, 'parse');
      parses.push(`${name}\0${parseOut(tok, this.parseModel)}`);
    }
    if (parses.length > 0) need('stats', parses.join('\0'), 'stats');
    return runs.sort();
  }
}

function apply(p: Project, w: World, e: Edit): void {
  const names = [...w.docs.keys()].sort();
  const pick = (i: number): string => names[i % names.length] as string;
  switch (e.kind) {
    case 'content': {
      const n = pick(e.doc);
      w.docs.set(n, e.text);
      p.write(`data/${n}.txt`, e.text);
      break;
    }
    case 'whitespace': {
      const n = pick(e.doc);
      const spaced = (w.docs.get(n) ?? '').replace(/ /g, '  \t').replace(/\n/g, ' \n');
      w.docs.set(n, spaced);
      p.write(`data/${n}.txt`, spaced);
      break;
    }
    case 'touch': {
      const t = new Date(Date.now() + 1000 + e.doc);
      utimesSync(p.path(`data/${pick(e.doc)}.txt`), t, t);
      break;
    }
    case 'delete': {
      if (names.length <= 1) return;
      const n = pick(e.doc);
      w.docs.delete(n);
      p.remove(`data/${n}.txt`);
      break;
    }
    case 'add': {
      const n = `d${w.next++}`;
      w.docs.set(n, e.text);
      p.write(`data/${n}.txt`, e.text);
      break;
    }
    case 'tok-model':
      w.tokModel = `T${e.version}`;
      p.write('models/tok.model', `${w.tokModel}\n`);
      break;
    case 'parse-model':
      w.parseModel = `P${e.version}`;
      p.write('models/parse.model', `${w.parseModel}\n`);
      break;
    case 'flag':
      w.flag = !w.flag;
      p.write('pipeline.config.ts', config(w.flag));
      break;
  }
}

async function checkOutputs(p: Project, expected: Map<string, string>): Promise<void> {
  for (const [path, content] of expected) expect(p.read(path), path).toBe(content);
}

describe('incremental property', () => {
  it('random edit sequences: outputs equal a clean build, tool runs are minimal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 3 }), fc.array(edit, { minLength: 1, maxLength: 7 }), async (initial, edits) => {
        const w = new World();
        const p = new Project({ 'pipeline.config.ts': config(false), 'models/tok.model': 'T1\n', 'models/parse.model': 'P1\n' });
        try {
          for (const t of initial) apply(p, w, { kind: 'add', text: t });
          for (const e of [undefined, ...edits]) {
            if (e !== undefined) apply(p, w, e);
            // Past the stat cache's racy window, so the clean-marker and cone paths are taken.
            await p.pastRacyWindow();
            const r = await p.build();
            expect(r.summary.ok, JSON.stringify(e)).toBe(true);
            const ran = p.takeRuns().map((l) => l.split(' ')[0] ?? '').sort();
            expect(ran, `runs after ${JSON.stringify(e)}`).toEqual(w.minimumRuns());
            await checkOutputs(p, w.expected());
          }
          // A clean build from scratch of the final sources must give the same bytes.
          const clean = new Project({ 'pipeline.config.ts': config(w.flag), 'models/tok.model': `${w.tokModel}\n`, 'models/parse.model': `${w.parseModel}\n` });
          try {
            for (const [n, c] of w.docs) clean.write(`data/${n}.txt`, c);
            expect((await clean.build()).summary.ok).toBe(true);
            for (const path of w.expected().keys()) expect(p.read(path), path).toBe(clean.read(path));
          } finally {
            clean.dispose();
          }
        } finally {
          p.dispose();
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
