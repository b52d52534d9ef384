// Builds through the daemon when the disk under .pipe/state fills up, and when out/ moves to
// another file system: the failing build says what failed and where, and the daemon recovers
// without a restart.
import { readdirSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Project } from '../rig.js';
import { daemonRecord, dcli, disposeWithDaemon } from '../daemon/daemon-rig.js';
import { canMount, fill, mountTmpfs, unmount } from './tmpfs-rig.js';

let p: Project | undefined;
const mounts: string[] = [];
afterEach(async () => {
  if (p !== undefined && daemonRecord(p) !== undefined) await dcli(p, ['stop']);
  for (const m of mounts.splice(0)) unmount(m);
  await disposeWithDaemon(p);
  p = undefined;
});

const config = "export default { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] }] };\n";

function docs(n: number, text: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`data/d${String(i).padStart(2, '0')}.txt`] = `${text} ${i}  with some words to make the record longer than a few bytes\n`;
  return files;
}

describe.skipIf(!canMount)('real small file systems (tmpfs)', () => {
  it('a full disk under .pipe/state fails that build clearly; the next build after space is freed succeeds', async () => {
    p = new Project({ 'pipeline.config.ts': config, ...docs(40, 'one') });
    mountTmpfs(p.path('.pipe/state'), '2m');
    mounts.push(p.path('.pipe/state'));
    let r = await dcli(p, ['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = daemonRecord(p)?.pid;

    fill(p.path('.pipe/state'));
    for (const [path, text] of Object.entries(docs(40, 'two'))) p.write(path, text);
    r = await dcli(p, ['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^pipe: cannot record the build in the state store \.pipe\/state: .*No space left on device.*\. The outputs were written; tasks not recorded will run again next time$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(p.read('out/d00.tok')).toBe('two 0 with some words to make the record longer than a few bytes\n');

    rmSync(p.path('.pipe/state/filler'));
    for (const [path, text] of Object.entries(docs(40, 'three'))) p.write(path, text);
    r = await dcli(p, ['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.read('out/d39.tok')).toBe('three 39 with some words to make the record longer than a few bytes\n');
    expect(daemonRecord(p)?.pid).toBe(pid);
    p.takeRuns();
    r = await dcli(p, ['build']);
    expect(r.code).toBe(0);
    expect(p.takeRuns()).toEqual([]);
  });

  it('out/ moved to another file system while the daemon runs: outputs are copied across, no EXDEV', async () => {
    p = new Project({ 'pipeline.config.ts': config, ...docs(2, 'one') });
    let r = await dcli(p, ['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = daemonRecord(p)?.pid;

    rmSync(p.path('out'), { recursive: true });
    mountTmpfs(p.path('out'), '1m');
    mounts.push(p.path('out'));
    p.write('data/d00.txt', 'moved  out\n');
    r = await dcli(p, ['build']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.read('out/d00.tok')).toBe('moved out\n');
    expect(p.read('out/d01.tok')).toBe('one 1 with some words to make the record longer than a few bytes\n');
    expect(readdirSync(p.path('out')).sort()).toEqual(['d00.tok', 'd01.tok']);
    expect(daemonRecord(p)?.pid).toBe(pid);
  });
});
