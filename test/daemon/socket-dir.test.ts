// A root too long for a unix socket path gets its socket in a private directory of the temp
// directory (0700, this user's): a name in the shared temp directory itself could be taken
// first by another local user. A directory of that name that is not ours is refused.
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { pmbConfig, Project } from '../rig.js';
import { dcli, disposeWithDaemon } from './daemon-rig.js';

const projects: Project[] = [];
afterEach(async () => {
  for (const p of projects.splice(0)) await disposeWithDaemon(p);
});

const DEEP = `${'a-directory-with-a-rather-long-name/'.repeat(3)}project`;

/** A project whose root is too long for a socket path, and a temp directory of its own. */
function longProject(): { p: Project; tmp: string } {
  const p = new Project({ [`${DEEP}/pipeline.config.ts`]: pmbConfig(), [`${DEEP}/models/parse.model`]: 'v1\n', [`${DEEP}/data/x.txt`]: 'The cat .\n' });
  projects.push(p);
  const tmp = p.path('t');
  mkdirSync(tmp);
  return { p, tmp };
}

const uid = process.getuid?.() ?? 0;

it('puts the socket in <tmp>/docpipe-<uid>/, a 0700 directory owned by the user', async () => {
  const { p, tmp } = longProject();
  const r = await dcli(p, ['build', '-C', DEEP], { TMPDIR: tmp });
  expect(r.code, r.stderr).toBe(0);
  const rec = JSON.parse(p.read(`${DEEP}/.pipe/daemon.json`)) as { socket: string };
  expect(dirname(rec.socket)).toBe(`${tmp}/docpipe-${uid}`);
  const st = statSync(dirname(rec.socket));
  expect(st.mode & 0o777).toBe(0o700);
  expect(st.uid).toBe(uid);
  expect(statSync(rec.socket).mode & 0o777).toBe(0o600);
  expect((await dcli(p, ['stop', '-C', DEEP], { TMPDIR: tmp })).code).toBe(0);
});

it.runIf(uid === 0)('refuses a socket directory owned by another user, and builds without a daemon', async () => {
  const { p, tmp } = longProject();
  const squatted = `${tmp}/docpipe-${uid}`;
  mkdirSync(squatted, { mode: 0o777 });
  chownSync(squatted, 54321, 54321);
  const r = await dcli(p, ['build', '-C', DEEP], { TMPDIR: tmp });
  expect(r.code, r.stderr).toBe(0); // in this process
  expect(r.stderr).toContain(`${squatted} is not a directory of yours (owned by uid 54321)`);
  expect(p.exists(`${DEEP}/out/x.parse`)).toBe(true);
  expect(p.exists(`${DEEP}/.pipe/daemon.json`)).toBe(false);
});
