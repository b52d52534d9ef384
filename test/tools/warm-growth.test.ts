// A start-up (a model load) is paid only when it buys something: a tool's queue gets another
// instance only when its documents outlast a start-up, and an idle instance that just paid
// its start-up is not given away.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseEvictions, type Evictable } from '../../src/tools/warm-evict.js';
import { growthDelay } from '../../src/tools/warm-growth.js';
import { Rig, bytes, text, until } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

describe('growth in the pool', () => {
  it('serves concurrent quick documents with the one instance that loaded, not one load each', async () => {
    const pool = rig.pool({ maxProcesses: 4 });
    // A 1 s model load against documents of about a millisecond: a second load buys nothing.
    const spec = rig.spec('upper_lines.py', { instances: 4 }, { STARTUP_MS: '1000' });
    const docs = ['a\n', 'b\n', 'c\n', 'd\n', 'e\n', 'f\n'];
    const results = await Promise.all(docs.map((doc) => pool.process(spec, bytes(doc))));
    expect(results.map((result) => result.ok && text(result.value))).toEqual(docs.map((doc) => doc.toUpperCase()));
    expect(rig.starts()).toHaveLength(1);
  });

  it('starts another instance once the document in flight has outlasted a start-up', async () => {
    const pool = rig.pool({ maxProcesses: 4 });
    const gate = join(rig.dir, 'gate');
    const spec = rig.spec('gate.py', { instances: 2 }, { GATE_FILE: gate });
    const docs = ['WAIT\na\n', 'WAIT\nb\n', 'WAIT\nc\n'];
    const pending = Promise.all(docs.map((doc) => pool.process(spec, bytes(doc))));
    // The first document is held: the queue behind it is worth a second instance.
    expect(await until(() => rig.starts().length === 2, 20_000), 'a second instance started while the first was held').toBe(true);
    writeFileSync(gate, '');
    const results = await pending;
    expect(results.map((result) => result.ok && text(result.value))).toEqual(['WAIT\nA\n', 'WAIT\nB\n', 'WAIT\nC\n']);
    expect(rig.starts()).toHaveLength(2);
    expect(pool.list().every((info) => info.documents >= 1)).toBe(true);
    expect(existsSync(gate)).toBe(true);
  });
});

describe('growthDelay', () => {
  const view = { startupMs: 3000, documentMs: 10, inFlightMs: 5, waiting: 3, serving: 1 };
  it('waits for a starting instance instead of racing its start-up', () => {
    expect(growthDelay({ ...view, startupMs: null })).toBe(Infinity);
  });
  it('does not grow for documents far quicker than a start-up, but re-plans for the one in flight', () => {
    expect(growthDelay(view)).toBe(1000 - 5);
    expect(growthDelay({ ...view, inFlightMs: null })).toBe(Infinity);
  });
  it('grows when the queue outlasts a start-up', () => {
    expect(growthDelay({ ...view, documentMs: 1500 })).toBe(0);
    expect(growthDelay({ ...view, inFlightMs: 1001 })).toBe(0);
    // Three waiting, two serving: each document must outlast 2/3 of a start-up.
    expect(growthDelay({ ...view, documentMs: 2500, serving: 2 })).toBe(0);
    expect(growthDelay({ ...view, documentMs: 2500, serving: 3, inFlightMs: null })).toBe(Infinity);
  });
});

describe('chooseEvictions', () => {
  const idle = (lastUsed: number, startupMs: number | null): Evictable => ({ state: 'idle', load: 0, lastUsed, startupMs });
  it('keeps an instance that just finished a long start-up from another tool’s growth', () => {
    const loaded = idle(10_000, 3000); // ready at 10 s after a 3 s load
    expect(chooseEvictions([loaded], 0, 1, 11_500)).toEqual([]);
    expect(chooseEvictions([loaded], 0, 1, 13_001)).toEqual([loaded]);
  });
  it('gives any idle instance to a tool with none, least recently used first', () => {
    const older = idle(1000, 3000);
    const newer = idle(2000, 3000);
    expect(chooseEvictions([newer, older], 1, 0, 2001)).toEqual([older]);
  });
});
