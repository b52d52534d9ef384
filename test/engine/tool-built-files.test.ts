// A tool argument naming a file that a rule of the same config builds (a user dictionary
// compiled from a source) makes that rule run first, and the file's digest part of the tool's
// identity: on the first build and after the dictionary's source changes.
import { afterEach, expect, it } from 'vitest';
import { Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

const config = `export default {
  tools: { tagger: { command: ['tok', '-m', 'dic/user.dic'] } },
  rules: [
    { name: 'tag', input: 'data/{doc}.txt', output: 'out/{doc}.tag', tool: 'tagger' },
    { name: 'compile-dic', input: 'dic/user.src', output: 'dic/user.dic', command: ['tok'] },
  ],
};
`;

it('the rule building a file the tool reads runs first, and its content keys the tool', async () => {
  const docs: Record<string, string> = {};
  for (let i = 0; i < 6; i++) docs[`data/d${i}.txt`] = `w${i}  x\n`;
  p = new Project({ 'pipeline.config.ts': config, 'dic/user.src': 'DIC1:\n', ...docs });
  let r = await p.cli(['build', '-j', '4']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // The fixture tool prefixes each line with the first line of its -m file.
  for (let i = 0; i < 6; i++) expect(p.read(`out/d${i}.tag`)).toBe(`DIC1:w${i} x\n`);

  p.write('dic/user.src', 'DIC2:\n');
  r = await p.cli(['build', '-j', '4']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  for (let i = 0; i < 6; i++) expect(p.read(`out/d${i}.tag`)).toBe(`DIC2:w${i} x\n`);

  const why = await p.cli(['why', 'out/d0.tag']);
  expect(why.stdout).toContain('out/d0.tag is up to date');
});
