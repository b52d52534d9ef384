// Prestart and eviction between pipeline stages: two warm tools sharing a process cap must
// each keep their instance instead of evicting each other between documents (every
// eviction costs another start-up, a model load).
import { afterEach, describe, expect, it } from 'vitest';
import { Rig } from '../fixtures/warm/rig.js';

let rig: Rig;
afterEach(async () => rig?.cleanup());

const doc = (s: string): Uint8Array => Buffer.from(s);

describe('prestart and eviction', () => {
  it('prestart starts one instance ahead of demand, once, and only with room', async () => {
    rig = new Rig();
    const pool = rig.pool({ maxProcesses: 1 });
    const a = rig.spec('upper_lines.py', { name: 'a' });
    const b = rig.spec('upper_lines.py', { name: 'b', argv: [rig.spec('upper_lines.py').argv[0] as string, '--b'] });
    pool.prestart(a);
    pool.prestart(a);
    pool.prestart(b); // no room: the cap is one process
    expect(pool.list().map((i) => i.tool)).toEqual(['a']);
    const r = await pool.process(a, doc('x\n'));
    expect(r.ok && Buffer.from(r.value).toString()).toBe('X\n');
    expect(rig.starts()).toHaveLength(1);
  });

  it('two stages alternating documents under a cap of 2 start each tool once', async () => {
    rig = new Rig();
    const pool = rig.pool({ maxProcesses: 2 });
    const env = { STARTUP_MS: '150' };
    const tok = rig.spec('upper_lines.py', { name: 'tok', instances: 2 }, env);
    const parse = rig.spec('upper_lines.py', { name: 'parse', instances: 2, argv: [rig.spec('upper_lines.py').argv[0] as string, '--parse'] }, env);
    pool.prestart(tok);
    pool.prestart(parse);
    // Like a build: tokenize documents queue up two at a time while parse documents follow.
    for (let i = 0; i < 10; i++) {
      const results = await Promise.all([pool.process(tok, doc(`t${i}\n`)), pool.process(tok, doc(`u${i}\n`)), pool.process(parse, doc(`p${i}\n`))]);
      expect(results.every((r) => r.ok)).toBe(true);
    }
    expect(rig.starts()).toHaveLength(2);
  });
});
