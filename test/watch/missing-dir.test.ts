// `pipe watch` over a source directory that does not exist (a typo in the config) names it
// and the existing directory it probably meant, instead of quietly watching 0 files.
import { afterEach, describe, expect, it } from 'vitest';
import { pmbConfig, Project } from '../rig.js';
import { disposeWithDaemon, Running, waitFor } from '../daemon/daemon-rig.js';

let p: Project | undefined;
let w: Running | undefined;
afterEach(async () => {
  await w?.stop();
  await disposeWithDaemon(p);
});

describe('watch with a missing source directory', () => {
  it('says which directory is missing and the closest existing one', async () => {
    p = new Project({ 'pipeline.config.ts': pmbConfig().replace("'data/{doc}.txt'", "'dat/{doc}.txt'"), 'models/parse.model': 'v1\n', 'data/a.txt': 'x\n' });
    w = new Running(p, ['watch']);
    const line = 'pipe: watch: dat/ does not exist (rule tokenize, input dat/{doc}.txt); the closest existing directory is data/\n';
    // stdout and stderr are separate pipes: wait for both, whichever comes first.
    await waitFor(() => `the watching line and the missing directory's:\n${w?.stdout}${w?.stderr}`, () => w?.stdout.includes('pipe: watching') === true && w.stderr.includes('pipe: watch: dat/'), 30_000);
    expect(w.stderr).toContain(line);
  });
});
