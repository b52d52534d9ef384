// Which instance serves which document: spreading, caps, eviction, retirement, idling, close.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WarmEvent } from '../../src/tools/warm-pool.js';
import { Rig, alive, bytes, text, until } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

const pidsOf = (starts: string[]): number[] => starts.map((line) => Number(line.split(' ')[1]));

describe('spreading work', () => {
  it('starts lazily and spreads concurrent documents over up to `instances` copies', async () => {
    const pool = rig.pool();
    // Held documents outlast a start-up, so the queue is worth a second copy (warm-growth.ts).
    const gate = join(rig.dir, 'gate');
    const spec = rig.spec('gate.py', { instances: 2 }, { GATE_FILE: gate });
    expect(pool.list()).toEqual([]);
    expect(rig.starts()).toHaveLength(0);
    const pending = Promise.all(['a', 'b', 'c', 'd'].map((doc) => pool.process(spec, bytes(`WAIT\n${doc}\n`))));
    expect(await until(() => rig.starts().length === 2, 20_000), 'two copies started').toBe(true);
    writeFileSync(gate, '');
    const results = await pending;
    expect(results.map((result) => result.ok && text(result.value))).toEqual(['A', 'B', 'C', 'D'].map((doc) => `WAIT\n${doc}\n`));
    expect(rig.starts()).toHaveLength(2);
    const infos = pool.list();
    // Both copies serve; how the four split depends on which copy finished starting first.
    const served = infos.map((info) => info.documents);
    expect(served).toHaveLength(2);
    expect(served.every((n) => n >= 1) && served[0]! + served[1]! === 4).toBe(true);
    expect(infos.every((info) => info.state === 'idle' && info.tool === 'gate')).toBe(true);
  });

  it('queues documents when every allowed instance is busy', async () => {
    const pool = rig.pool();
    const spec = rig.spec('upper_lines.py', { instances: 1 }, { DELAY_MS: '50' });
    const results = await Promise.all(['1\n', '2\n', '3\n'].map((doc) => pool.process(spec, bytes(doc))));
    expect(results.map((result) => result.ok && text(result.value))).toEqual(['1\n', '2\n', '3\n']);
    expect(rig.starts()).toHaveLength(1);
    expect(pool.list()[0]?.documents).toBe(3);
  });

  it('reuses an idle instance rather than starting another', async () => {
    const pool = rig.pool();
    const spec = rig.spec('upper_lines.py', { instances: 4 });
    for (const doc of ['a\n', 'b\n', 'c\n']) await pool.process(spec, bytes(doc));
    expect(rig.starts()).toHaveLength(1);
  });
});

describe('process cap', () => {
  it('stops an idle instance of another tool (LRU) to stay within maxProcesses', async () => {
    const events: WarmEvent[] = [];
    const pool = rig.pool({ maxProcesses: 2, onEvent: (event) => events.push(event) });
    const upper = rig.spec('upper_lines.py');
    const blocks = rig.spec('blocks.py', { framing: { kind: 'terminated', input: /^$/, output: /^$/ } });
    const noisy = rig.spec('noisy_stderr.py');
    await pool.process(upper, bytes('a\n'));
    await pool.process(blocks, bytes('b c\n\n'));
    expect(pool.list().map((info) => info.tool).sort()).toEqual(['blocks', 'upper_lines']);
    await pool.process(upper, bytes('a again\n')); // blocks is now least recently used
    const result = await pool.process(noisy, bytes('n\n'));
    expect(result.ok && text(result.value)).toBe('N\n');
    expect(pool.list().map((info) => info.tool).sort()).toEqual(['noisy_stderr', 'upper_lines']);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'instance-stopped', tool: 'blocks', why: 'evicted' }));
  });

  it('waits for a busy instance rather than exceed the cap', async () => {
    const pool = rig.pool({ maxProcesses: 1 });
    const slow = rig.spec('upper_lines.py', {}, { DELAY_MS: '200' });
    const other = rig.spec('noisy_stderr.py');
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, pool.list().length);
    }, 10);
    const [a, b] = await Promise.all([pool.process(slow, bytes('s\n')), pool.process(other, bytes('o\n'))]);
    clearInterval(sampler);
    expect(a.ok && text(a.value)).toBe('S\n');
    expect(b.ok && text(b.value)).toBe('O\n');
    expect(most).toBe(1);
    const [first, second] = pidsOf(rig.starts());
    expect(first !== undefined && !alive(first)).toBe(true);
    expect(second !== undefined && alive(second)).toBe(true);
  });
});

describe('tool replaced', () => {
  it('retires instances of an old identity after their document; new work goes to the new one', async () => {
    const pool = rig.pool();
    const gate = join(rig.dir, 'gate');
    const v1 = rig.spec('gate.py', { identity: 'v1' }, { GATE_FILE: gate });
    const v2 = rig.spec('gate.py', { identity: 'v2' }, { GATE_FILE: gate });
    const old = pool.process(v1, bytes('x\nWAIT\n')); // held until the gate opens
    await until(() => pool.list().some((info) => info.state === 'busy'));
    const v1pid = pool.list()[0]?.pid;
    const replacement = await pool.process(v2, bytes('z\n'));
    expect(replacement.ok && text(replacement.value)).toBe('Z\n');
    expect(pool.list().find((info) => info.identity === 'v1')?.state).toBe('retiring');
    writeFileSync(gate, '');
    const finished = await old;
    expect(finished.ok && text(finished.value)).toBe('X\nWAIT\n'); // held work completes
    expect(await until(() => v1pid !== undefined && !alive(v1pid))).toBe(true);
    expect(pool.list().map((info) => info.identity)).toEqual(['v2']);
  });

  it('fails documents still waiting for the replaced tool with tool-replaced', async () => {
    const pool = rig.pool();
    const gate = `${rig.dir}/gate`;
    const v1 = rig.spec('upper_lines.py', { identity: 'v1' }, { GATE: gate });
    const v2 = rig.spec('upper_lines.py', { identity: 'v2' });
    const running = pool.process(v1, bytes('a\n'));
    const waiting = pool.process(v1, bytes('b\n'));
    await until(() => pool.list().some((info) => info.state === 'busy'));
    await pool.process(v2, bytes('c\n'));
    writeFileSync(gate, ''); // v1 held 'a' (and so kept 'b' waiting) until now
    expect((await running).ok).toBe(true);
    expect(await waiting).toEqual({ ok: false, error: { reason: 'tool-replaced', tool: 'upper_lines', identity: 'v1' } });
  });

  it('keys instances by everything that starts them, not the identity alone', async () => {
    const pool = rig.pool();
    // Two configured tools on one executable share an identity but not their arguments.
    const a = rig.spec('upper_lines.py', { name: 'tok-a', argv: [rig.spec('upper_lines.py').argv[0] as string, '--a'] });
    const b = rig.spec('upper_lines.py', { name: 'tok-b', argv: [rig.spec('upper_lines.py').argv[0] as string, '--b'] });
    await pool.process(a, bytes('x\n'));
    await pool.process(b, bytes('x\n'));
    expect(pool.list().map((info) => info.tool).sort()).toEqual(['tok-a', 'tok-b']);
    // The same tool with a changed argument is a replacement, even with the same identity.
    const a2 = { ...a, argv: [...a.argv, '--more'] };
    await pool.process(a2, bytes('y\n'));
    expect(await until(() => pool.list().length === 2)).toBe(true);
    expect(rig.starts()).toHaveLength(3);
  });
});

describe('idle and close', () => {
  it('stops instances unused for idleMs', async () => {
    const pool = rig.pool();
    const spec = rig.spec('upper_lines.py', { idleMs: 200 });
    await pool.process(spec, bytes('a\n'));
    const [pid] = pidsOf(rig.starts());
    expect(pool.list()).toHaveLength(1);
    expect(await until(() => pool.list().length === 0)).toBe(true);
    expect(pid !== undefined && !alive(pid)).toBe(true);
    const again = await pool.process(spec, bytes('b\n'));
    expect(again.ok && text(again.value)).toBe('B\n');
    expect(rig.starts()).toHaveLength(2);
  });

  it('close() stops everything, killing a tool that ignores SIGTERM after the grace', async () => {
    const pool = rig.pool({ killAfterMs: 300 });
    await pool.process(rig.spec('ignore_term.sh'), bytes('a\n'));
    await pool.process(rig.spec('upper_lines.py'), bytes('b\n'));
    const pids = pool.list().map((info) => info.pid);
    expect(pids).toHaveLength(2);
    await pool.close();
    expect(pids.filter(alive)).toEqual([]);
    expect(pool.list()).toEqual([]);
    await expect(pool.process(rig.spec('upper_lines.py'), bytes('c\n'))).rejects.toThrow(/after close/);
  });

  it('reports instances with their memory', async () => {
    const pool = rig.pool();
    await pool.process(rig.spec('upper_lines.py'), bytes('a\nb\n'));
    const [info] = pool.list();
    expect(info).toMatchObject({ tool: 'upper_lines', identity: 'v1', state: 'idle', records: 2, documents: 1 });
    expect(info?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(info?.startedAt).toBeLessThanOrEqual(Date.now());
  });
});

describe('abort', () => {
  it('rejects a queued document and forgets it', async () => {
    const pool = rig.pool();
    const spec = rig.spec('upper_lines.py', {}, { DELAY_MS: '100' });
    const running = pool.process(spec, bytes('a\n'));
    const controller = new AbortController();
    const queued = pool.process(spec, bytes('b\n'), controller.signal);
    controller.abort();
    await expect(queued).rejects.toThrow();
    expect((await running).ok).toBe(true);
    // Queued work runs in order: had the aborted document stayed queued, it would run before this one.
    expect((await pool.process(spec, bytes('c\n'))).ok).toBe(true);
    expect(pool.list()[0]?.documents).toBe(2);
  });

  it('rejects a running document; the instance finishes it and stays warm', async () => {
    const pool = rig.pool();
    const spec = rig.spec('upper_lines.py', {}, { DELAY_MS: '100' });
    const controller = new AbortController();
    const running = pool.process(spec, bytes('a\nb\n'), controller.signal);
    await until(() => pool.list().some((info) => info.state === 'busy'));
    controller.abort();
    await expect(running).rejects.toThrow();
    const next = await pool.process(spec, bytes('c\n'));
    expect(next.ok && text(next.value)).toBe('C\n');
    expect(rig.starts()).toHaveLength(1);
  });
});
