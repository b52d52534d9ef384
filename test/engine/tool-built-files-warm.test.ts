// A warm tool that loads a file another rule builds (MeCab's `-u dic/user.dic`) is not
// started ahead of demand before that file is built: the early start that overlaps model
// loads waits for the rule that writes the tool's file.
import { afterEach, expect, it } from 'vitest';
import { Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

// Loads its dictionary once at start (and fails without it), then tags line after line.
const TAGGER = `#!/usr/bin/env python3
import sys
with open(sys.argv[2]) as f:
    prefix = f.readline().rstrip("\\n")
for line in sys.stdin:
    sys.stdout.write(prefix + line)
    sys.stdout.flush()
`;

it('the warm tool starts after its dictionary is built and uses it from the first build', async () => {
  const docs: Record<string, string> = {};
  for (let i = 0; i < 4; i++) docs[`data/d${i}.txt`] = `w${i}  x\n`;
  p = new Project({
    'pipeline.config.ts': `export default {
  tools: { tagger: { command: ['bin/tagger', '-m', 'dic/user.dic'], warm: true } },
  rules: [
    { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] },
    { name: 'tag', input: 'out/{doc}.tok', output: 'out/{doc}.tag', tool: 'tagger' },
    { name: 'compile-dic', input: 'dic/user.src', output: 'dic/user.dic', command: ['tok'] },
  ],
};\n`,
    'dic/user.src': 'DIC1:\n',
    ...docs,
  });
  p.write('bin/tagger', TAGGER, 0o755);
  let r = await p.cli(['build', '-j', '4']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  for (let i = 0; i < 4; i++) expect(p.read(`out/d${i}.tag`)).toBe(`DIC1:w${i} x\n`);

  p.write('dic/user.src', 'DIC2:\n');
  for (let i = 0; i < 4; i++) p.write(`data/d${i}.txt`, `v${i}  y\n`);
  r = await p.cli(['build', '-j', '4']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  for (let i = 0; i < 4; i++) expect(p.read(`out/d${i}.tag`)).toBe(`DIC2:v${i} y\n`);

  // The stages were recorded with the new dictionary's digest: nothing is stale now.
  r = await p.cli(['build', '-j', '4']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^pipe: 9 up to date /);
});
