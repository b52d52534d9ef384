// A rule that feeds on its own outputs, or rules feeding each other, are reported (by rule and
// reason) instead of deriving paths until the heap runs out; a source whose name starts with
// '-' reaches the tool as a path, never as an option.
import { afterEach, describe, expect, it } from 'vitest';
import { Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

describe('derivation loops', () => {
  it('a rule whose output its own input matches is a config error naming the rule', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'clean', input: 'data/{doc}.txt', output: 'data/{doc}.clean.txt', command: ['cat'] }] };\n",
      'data/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `rules[0] (clean).output: 'data/{doc}.clean.txt' is matched by the rule's own input 'data/{doc}.txt': every output would be read again as an input (data/x.txt -> data/x.clean.txt -> data/x.clean.clean.txt -> ...), without end`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(p.exists('data/a.clean.txt')).toBe(false);
  });

  it('two rules feeding each other stop at the planning bound with the chain that loops', async () => {
    p = new Project({
      'pipeline.config.ts': `export default { rules: [
  { name: 'mark', input: 'data/{doc}.txt', output: 'data/{doc}.m', command: ['cat'] },
  { name: 'back', input: 'data/{doc}.m', output: 'data/{doc}.m.txt', command: ['cat'] },
] };\n`,
      'data/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pipe: rule '(mark|back)' would derive data\/a\.m\.m\.m[.m]*\.\.\.[.m]*(\.txt)? from a chain of 200 derivations/);
    expect(r.stderr).toMatch(/\n  mark: data\/a\.m\.m[.m]*\.\.\.[.m]*\n  back: data\/a\.m\.m[.m]*\.\.\.[.m]*\.txt\n/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a rule writing beside its input under a name the input does not match still builds', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'strip', input: 'data/{doc}.raw.txt', output: 'data/{doc}.txt', command: ['cat'] }] };\n",
      'data/a.raw.txt': 'x\n',
    });
    const r = await p.cli(['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.read('data/a.txt')).toBe('x\n');
  });
});

describe('paths as operands', () => {
  it("a root-level source named -n.txt is passed as ./-n.txt, not read as cat's -n option", async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'copy', input: '{doc}.txt', output: 'out/{doc}.copy', command: ['cat', '{input}'] }] };\n",
      '-n.txt': 'first\nsecond\n',
    });
    const r = await p.cli(['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // `cat -n.txt` would fail (or number lines); `cat ./-n.txt` copies the file.
    expect(p.read('out/-n.copy')).toBe('first\nsecond\n');
  });
});

describe('derivation loops that are not', () => {
  it('a multi-input rule whose output matches one input waits for the companion input instead of looping', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'merge', input: ['data/{doc}.txt', 'meta/{doc}.json'], output: 'data/{doc}.m.txt', command: ['cat'] }] };\n",
      'data/a.txt': 'a\n',
      'meta/a.json': '{}\n',
    });
    const r = await p.cli(['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.read('data/a.m.txt')).toBe('a\n{}\n');
  });
});
