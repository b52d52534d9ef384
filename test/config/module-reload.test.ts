// A .mjs config importing another module: the daemon reloads when that module is edited and
// builds the new rules, as `--no-daemon` does.
import { afterEach, expect, it } from 'vitest';
import { Project } from '../rig.js';
import { dcli, disposeWithDaemon } from '../daemon/daemon-rig.js';

let p: Project | undefined;
afterEach(async () => {
  await disposeWithDaemon(p);
  p = undefined;
});

it('an edit to a module an .mjs config imports is seen by the running daemon', async () => {
  p = new Project({
    'pipeline.config.mjs': "import { rules } from './rules/tokenize.mjs';\nexport default { rules };\n",
    'rules/tokenize.mjs': "export const rules = [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] }];\n",
    'data/a.txt': 'a  b\n',
  });
  let r = await dcli(p, ['build']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(p.exists('out/a.tok')).toBe(true);

  p.write('rules/tokenize.mjs', "export const rules = [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.words', command: ['tok'] }];\n");
  r = await dcli(p, ['build']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(p.read('out/a.words')).toBe('a b\n');
  const status = await dcli(p, ['status', '--json']);
  expect(JSON.parse(status.stdout)).toMatchObject({ rules: { tokenize: { fresh: 1, stale: 0, missing: 0, blocked: 0 } } });
});
