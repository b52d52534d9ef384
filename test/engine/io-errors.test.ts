// I/O failures inside a task are reported as what failed and where, never as "could not
// start" with a JS stack: an input deleted mid-build, a read-only output directory.
import { afterEach, expect, it } from 'vitest';
import { Project } from '../rig.js';
import { canMount, mountTmpfs, unmount } from './tmpfs-rig.js';

let p: Project | undefined;
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) unmount(m);
  p?.dispose();
  p = undefined;
});

it('an input deleted after planning and before its task starts names the input and the system error', async () => {
  // The first task to run deletes the other document's input; -j 1 runs them one at a time.
  p = new Project({
    'pipeline.config.ts': `export default { rules: [{ name: 'copy', input: 'data/{doc}.txt', output: 'out/{doc}.copy',
  command: ['sh', '-c', 'for f in data/*.txt; do [ "$f" = "data/$0.txt" ] || rm -f "$f"; done; cat', '{doc}'] }] };\n`,
    'data/a.txt': 'a\n',
    'data/b.txt': 'b\n',
  });
  const r = await p.cli(['build', '-j', '1', '-k']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^FAILED copy out\/([ab])\.copy: open data\/\1\.txt failed: no such file or directory \(ENOENT\)\n  command: sh -c /m);
  expect(r.stderr).not.toContain('could not start');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

it.skipIf(!canMount)('a read-only output directory names the output and the error', async () => {
  p = new Project({
    'pipeline.config.ts': "export default { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] }] };\n",
    'data/a.txt': 'a  b\n',
  });
  mountTmpfs(p.path('out'), '64k,ro');
  mounts.push(p.path('out'));
  const r = await p.cli(['build']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^FAILED tokenize out\/a\.tok: cannot write out\/a\.tok: EROFS: read-only file system/m);
  expect(r.stderr).not.toContain('could not start');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
