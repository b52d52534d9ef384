// The no-plan shortcut: after a complete successful build, a full `pipe build` whose config,
// file list, environment and recorded file stats are all unchanged answers without planning.
// These tests check it is taken when it should be, and never hides a change.
import { utimesSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, pmbConfig, Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

async function build(extraEnv: Record<string, string> = {}): Promise<{ noPlan: boolean; runs: string[]; code: number }> {
  const r = await p.cli(['build', '--json'], extraEnv);
  const done = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; noPlan?: boolean })
    .find((e) => e.type === 'done');
  return { noPlan: done?.noPlan === true, runs: p.takeRuns(), code: r.code };
}

/** Builds until the outputs are no longer "racy" (hashed within a tick of their writing). */
async function settle(env: Record<string, string> = {}): Promise<void> {
  await p.pastRacyWindow();
  await build(env);
}

function setup(): void {
  p = new Project({
    'pipeline.config.ts': pmbConfig(),
    'models/parse.model': 'v1\n',
    'data/a.txt': 'The cat .\n',
    'data/b.txt': 'A dog .\n',
  });
}

describe('no-plan shortcut', () => {
  it('is taken for an unchanged project and reports every task fresh', async () => {
    setup();
    expect((await build()).runs).toHaveLength(5);
    await settle();
    const r = await build();
    expect(r).toEqual({ noPlan: true, runs: [], code: 0 });
  });

  it('never hides an input edit, a new file, a deleted output or a model edit', async () => {
    setup();
    await build();
    await settle();
    p.write('data/a.txt', 'The cat sat .\n');
    let r = await build();
    expect(r.noPlan).toBe(false);
    expect(r.runs.map((x) => x.split(' ')[0]).sort()).toEqual(['parse', 'stats', 'tok']);
    await settle();
    p.write('data/c.txt', 'New doc .\n');
    r = await build();
    expect(r.noPlan).toBe(false);
    expect(r.runs).toHaveLength(3);
    await settle();
    p.remove('out/b.parse');
    r = await build();
    expect(r.noPlan).toBe(false);
    expect(p.read('out/b.parse')).toContain('A dog');
    await settle();
    p.write('models/parse.model', 'v2\n');
    r = await build();
    expect(r.noPlan).toBe(false);
    expect(p.read('out/a.parse')).toMatch(/^v2\|/);
  });

  it('a touch leaves outputs alone and is followed by the shortcut again', async () => {
    setup();
    await build();
    await settle();
    // In the past: a future mtime is (rightly) never trusted until it has passed.
    const t = new Date(Date.now() - 5000);
    utimesSync(p.path('data/a.txt'), t, t);
    const r = await build();
    expect(r.noPlan).toBe(false);
    expect(r.runs).toEqual([]);
    await settle();
    expect((await build()).noPlan).toBe(true);
  });

  it('a config edit, a PATH change or a declared env change disables it', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { tok: { command: ['tok'], env: ['DOCPIPE_MARKER_VAR'] } },
  rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
};`,
      'data/a.txt': 'x  y\n',
    });
    await build({ DOCPIPE_MARKER_VAR: 'one' });
    await settle({ DOCPIPE_MARKER_VAR: 'one' });
    expect((await build({ DOCPIPE_MARKER_VAR: 'one' })).noPlan).toBe(true);
    const changed = await build({ DOCPIPE_MARKER_VAR: 'two' });
    expect(changed.noPlan).toBe(false);
    expect(changed.runs).toEqual(['tok ']);
    // Another `tok` earlier on PATH is another tool.
    p.write('altbin/tok', '#!/bin/sh\necho "tok alt" >> "$TOOL_LOG"\ncat\n', 0o755);
    const alt = await build({ DOCPIPE_MARKER_VAR: 'two', PATH: `${p.path('altbin')}:${FIXTURES}:${process.env['PATH'] ?? ''}` });
    expect(alt.noPlan).toBe(false);
    expect(alt.runs).toEqual(['tok alt']);
    expect(p.read('out/a.tok')).toBe('x  y\n');
    await settle({ DOCPIPE_MARKER_VAR: 'two', PATH: `${p.path('altbin')}:${FIXTURES}:${process.env['PATH'] ?? ''}` });
    p.remove('altbin');
    p.write('pipeline.config.ts', p.read('pipeline.config.ts').replace("['tok']", "['tok', '--v2']"));
    const edited = await build({ DOCPIPE_MARKER_VAR: 'two' });
    expect(edited.noPlan).toBe(false);
    expect(edited.runs).toEqual(['tok --v2']);
    expect(p.read('out/a.tok')).toBe('x y\n');
  });

  it('is not used when a tool identity includes a directory tree', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { tok: { command: ['tok'], files: ['models'] } },
  rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
};`,
      'data/a.txt': 'x\n',
      'models/one.bin': '1',
    });
    await build();
    await settle();
    expect((await build()).noPlan).toBe(false);
    p.write('models/two.bin', '2');
    expect((await build()).runs).toEqual(['tok ']);
  });
});
