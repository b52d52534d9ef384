// A daemon killed with SIGKILL while a tool writes its `{output}` temp: the tool, left running,
// may create that file after the next daemon's sweep. It must not survive in .pipe/tmp.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CLI, Project } from '../rig.js';
import { daemonEnv, daemonRecord, dcli, disposeWithDaemon, waitFor } from '../daemon/daemon-rig.js';

let p: Project | undefined;
afterEach(async () => {
  if (p !== undefined) p.write('release', '');
  await disposeWithDaemon(p);
  p = undefined;
});

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

// The tool's stderr is a pipe to the dead daemon: its own error output is discarded, or
// SIGPIPE would end it before it signals that it finished.
it("a killed daemon's tool that writes its temp output after the next daemon's sweep leaves nothing in .pipe/tmp", async () => {
  p = new Project({
    'pipeline.config.ts': `export default { rules: [{ name: 'late', input: 'data/{doc}.txt', output: 'out/{doc}.late',
  command: ['sh', '-c', 'touch started; while [ ! -e release ]; do sleep 0.02; done; { echo late > "$0"; } 2>/dev/null; touch finished', '{output}'] }] };\n`,
    'data/a.txt': 'a\n',
  });
  const project = p;
  const client = spawn(process.execPath, [CLI, 'build'], { cwd: project.root, env: project.env(daemonEnv()), stdio: 'ignore' });
  const clientExit = new Promise((r) => client.on('exit', r));
  await waitFor('the tool to start', () => project.exists('started'));
  const old = daemonRecord(project);
  if (old === undefined) throw new Error('no daemon record');
  process.kill(old.pid, 'SIGKILL');
  await clientExit;

  // A new daemon starts (and sweeps) before the orphaned tool writes.
  const r = await dcli(project, ['status']);
  expect(r.code, r.stderr).toBe(0);
  expect(daemonRecord(project)?.pid).not.toBe(old.pid);

  project.write('release', '');
  await waitFor('the orphaned tool to finish', () => project.exists('finished'));
  expect(filesUnder(project.path('.pipe/tmp'))).toEqual([]);
});
