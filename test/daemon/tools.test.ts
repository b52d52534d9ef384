// `pipe tools` against a real daemon: the warm instances its pool holds after a build, with
// their pids, and none once the daemon has stopped them.
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Project, REPO } from '../rig.js';
import { alive, daemonRecord, dcli, disposeWithDaemon, waitFor } from './daemon-rig.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

interface Row {
  tool: string;
  pid: number;
  state: string;
  records: number;
  source: string;
}

it('lists the daemon’s warm instances (a tool started by a build), and none after pipe stop', async () => {
  const warmTool = join(REPO, 'test', 'fixtures', 'warm', 'upper_lines.py');
  const p = new Project({
    'pipeline.config.ts': `export default {
  tools: { up: { command: [${JSON.stringify(warmTool)}], warm: true, instances: 1 } },
  rules: [{ name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' }],
};
`,
    'data/x.txt': 'one\ntwo\n',
    'data/y.txt': 'three\n',
  });
  projects.push(p);
  const b = await dcli(p, ['build'], { START_LOG: p.path('starts.log') });
  expect(b.code, b.stderr).toBe(0);
  const warmPid = Number(p.read('starts.log').trim().split(' ')[1]);
  expect(alive(warmPid)).toBe(true);

  const r = await dcli(p, ['tools', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const listing = JSON.parse(r.stdout) as { instances: Row[]; daemon: { answering: boolean } | null };
  expect(listing.daemon?.answering).toBe(true);
  const rows = listing.instances.filter((i) => i.source === 'daemon');
  expect(rows).toEqual([expect.objectContaining({ pid: warmPid, records: 3 })]);
  expect(rows[0]?.tool).toBe('up');

  const text = await dcli(p, ['tools']);
  expect(text.stdout).toMatch(new RegExp(`^up\\s+${warmPid}\\s.*\\bdaemon$`, 'm'));

  const daemonPid = daemonRecord(p)?.pid ?? -1;
  expect((await dcli(p, ['stop'])).code).toBe(0);
  await waitFor(`the daemon (pid ${daemonPid}) and its warm tool (pid ${warmPid}) to exit`, () => !alive(daemonPid) && !alive(warmPid));
  const after = JSON.parse((await dcli(p, ['tools', '--json'])).stdout) as { instances: Row[] };
  expect(after.instances).toEqual([]);
});
