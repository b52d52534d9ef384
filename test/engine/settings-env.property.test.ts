// The incremental property for what the stage key must hold besides files: after any
// sequence of edits to documents, to a tool's warm settings and to the client's environment
// (read by the config), a build through the daemon leaves exactly the outputs a clean build
// of the current config, in the current environment, gives. The tool prints a trailer when
// its stdin ends (as link-parser prints `Bye.`), so a warm run's bytes differ from a cold one's.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Project } from '../rig.js';
import { dcli, disposeWithDaemon } from '../daemon/daemon-rig.js';

let p: Project | undefined;
afterEach(async () => {
  await disposeWithDaemon(p);
  p = undefined;
});

const TOOL = `#!/usr/bin/env python3
import sys
upper = '--upper' in sys.argv
for line in sys.stdin:
    sys.stdout.write(line.upper() if upper else line)
    sys.stdout.flush()
sys.stdout.write('bye\\n')
`;

// Framings this line tool is right for; a warm run of any of them prints no trailer.
const WARM = ['false', 'true', "'sentinel'", "{ framing: 'sentinel', sentinel: 'EOD' }", '{ sentinel: false }'] as const;
type Warm = (typeof WARM)[number];

type Edit = { kind: 'content'; doc: number; text: string } | { kind: 'warm'; warm: Warm } | { kind: 'env'; upper: boolean };

const WORDS = ['the', 'Cat', 'sat', 'on', 'a', 'mat'];
const text = fc
  .array(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')), { minLength: 1, maxLength: 3 })
  .map((ls) => ls.join('\n') + '\n');
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('content' as const), doc: fc.nat({ max: 1 }), text }),
  fc.record({ kind: fc.constant('warm' as const), warm: fc.constantFrom(...WARM) }),
  fc.record({ kind: fc.constant('env' as const), upper: fc.boolean() }),
);

function config(warm: Warm): string {
  return `export default {
  tools: { up: { command: ['./up.py', ...(process.env.UPPER ? ['--upper'] : [])], warm: ${warm}, instances: 1 } },
  rules: [{ name: 'up', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' }],
};
`;
}

function expected(doc: string, warm: Warm, upper: boolean): string {
  return (upper ? doc.toUpperCase() : doc) + (warm === 'false' ? 'bye\n' : '');
}

describe('settings and environment property (through the daemon)', () => {
  it('random edits of documents, warm settings and the client environment: outputs equal a clean build', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(text, text), fc.array(edit, { minLength: 1, maxLength: 5 }), async ([a, b], edits) => {
        await disposeWithDaemon(p);
        const docs = [a, b];
        let warm: Warm = 'false';
        let upper = false;
        const q = (p = new Project({ 'pipeline.config.ts': config(warm), 'data/d0.txt': a, 'data/d1.txt': b }));
        q.write('up.py', TOOL, 0o755);
        for (const e of [undefined, ...edits]) {
          if (e?.kind === 'content') {
            docs[e.doc] = e.text;
            q.write(`data/d${e.doc}.txt`, e.text);
          } else if (e?.kind === 'warm') {
            warm = e.warm;
            q.write('pipeline.config.ts', config(warm));
          } else if (e?.kind === 'env') upper = e.upper;
          const r = await dcli(q, ['build'], { UPPER: upper ? '1' : '' });
          expect(r.code, `${JSON.stringify(e)}: ${r.stderr}`).toBe(0);
          for (let i = 0; i < docs.length; i++) {
            expect(q.read(`out/d${i}.up`), `out/d${i}.up after ${JSON.stringify(e)} (warm ${warm}, UPPER ${upper})`).toBe(expected(docs[i] as string, warm, upper));
          }
        }
      }),
      { numRuns: 5 },
    );
  }, 300_000);
});
