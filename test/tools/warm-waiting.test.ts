// Item: "silent waits". While a warm instance owes an answer and stays silent, the pool says
// what it waits for (tool, pid, record, how long) every few seconds, and `pipe build` prints
// it, long before the deadline ends the wait.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WarmEvent } from '../../src/tools/warm-pool.js';
import { Project, REPO } from '../rig.js';
import { Rig, bytes, text, until } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

type Waiting = Extract<WarmEvent, { kind: 'warm-waiting' }>;

describe('warm-waiting events', () => {
  it('name the tool, pid and record a silent instance owes', async () => {
    const events: WarmEvent[] = [];
    const pool = rig.pool({ waitReportMs: 200 });
    const unlisten = pool.listen((event) => events.push(event));
    const spec = rig.spec('hang.py', { timeoutMs: 60_000 });
    const hung = pool.process(spec, bytes('a\nHANG\nc\n'));
    hung.catch(() => undefined); // rejected when the pool closes
    // (A slow start-up may be reported first, as awaiting 'start-up'.)
    const waiting = (): Waiting | undefined => events.find((e): e is Waiting => e.kind === 'warm-waiting' && e.awaiting === 'answer');
    expect(await until(() => waiting() !== undefined, 20_000), 'a warm-waiting event').toBe(true);
    const pid = pool.list()[0]?.pid;
    expect(waiting()).toMatchObject({ tool: 'hang', pid, awaiting: 'answer', record: 2, deadlineMs: 60_000 });
    expect(waiting()!.quietMs).toBeGreaterThanOrEqual(200);
    unlisten();
    await pool.close();
  });

  it('name a start-up that takes long', async () => {
    const events: WarmEvent[] = [];
    const pool = rig.pool({ waitReportMs: 200, onEvent: (event) => events.push(event) });
    const spec = rig.spec('upper_lines.py', {}, { STARTUP_MS: '1500' });
    const result = await pool.process(spec, bytes('x\n'));
    expect(result.ok && text(result.value)).toBe('X\n');
    const waits = events.filter((e): e is Waiting => e.kind === 'warm-waiting');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((e) => e.awaiting === 'start-up' && e.record === 0 && e.tool === 'upper_lines')).toBe(true);
  });
});

describe('pipe build', () => {
  let p: Project | undefined;
  afterEach(() => p?.dispose());

  it('prints what it waits for while a warm tool is silent, before the deadline', async () => {
    const hang = `${REPO}/test/fixtures/warm/hang.py`;
    p = new Project({
      'data/a.txt': 'one\nHANG\nthree\n',
      'pipeline.config.ts': `export default {
  tools: { up: { command: [${JSON.stringify(hang)}], warm: true, instances: 1, timeoutMs: 8000 } },
  rules: [{ name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.up', tool: 'up' }],
};
`,
    });
    const r = await p.cli(['build', '--no-daemon']);
    expect(r.code).toBe(1);
    const waiting = r.stderr.split('\n').find((line) => line.includes('still waiting for warm tool up'));
    expect(waiting, r.stderr).toBeDefined();
    expect(waiting).toMatch(/\(pid \d+\): an answer to record 2,/);
    // Said before the deadline's failure, not with it.
    expect(r.stderr.indexOf('still waiting')).toBeLessThan(r.stderr.indexOf('FAILED'));
  }, 60_000);
});
