// A warm tool whose answers do not line up with the document's records (an extra line in the
// middle, a late line) fails that document, never another one, and never returns its bytes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rig, bytes, text } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

describe('verifier record', () => {
  it('fails a document whose tool printed an extra line in the middle, showing the bytes', async () => {
    const pool = rig.pool();
    const spec = rig.spec('mid_extra.py');
    const result = await pool.process(spec, bytes('one\nEXTRA two\nthree\n'));
    if (result.ok || result.error.reason !== 'misaligned-output') throw new Error(`expected misaligned-output, got ${JSON.stringify(result)}`);
    expect(result.error.tool).toBe('mid_extra');
    expect(result.error.record).toBe(3);
    // The answer due for the verifier was the document's last answer, one line late.
    expect(result.error.detail).toContain('"THREE\\n"');
    expect(result.error.detail).toContain('"DOCPIPESENTINEL\\n"');

    // The next document is not blamed: a fresh instance serves it.
    const next = await pool.process(spec, bytes('four\nfive\n'));
    expect(next.ok && text(next.value)).toBe('FOUR\nFIVE\n');
    expect(rig.starts()).toHaveLength(2);
  });

  it('a line printed late fails its own document, never the next one', async () => {
    const pool = rig.pool();
    const spec = rig.spec('stray.py');
    // LATE answers, then prints a debug line after a pause: the verifier catches it on this document.
    const late = await pool.process(spec, bytes('LATE\n'));
    expect(!late.ok && late.error.reason).toBe('misaligned-output');
    const after = await pool.process(spec, bytes('x\ny\n'));
    expect(after.ok && text(after.value)).toBe('X\nY\n');
  });

  it('an instance that served documents cleanly is not blamed for one that misaligns, and vice versa', async () => {
    const pool = rig.pool();
    const spec = rig.spec('mid_extra.py');
    for (const doc of ['a\n', 'b\n']) expect((await pool.process(spec, bytes(doc))).ok).toBe(true);
    // Failed on the used instance: retried on a fresh one (the extra line might have been an earlier document's), failed again there.
    const bad = await pool.process(spec, bytes('EXTRA\nc\n'));
    expect(!bad.ok && bad.error.reason).toBe('misaligned-output');
    expect(rig.starts()).toHaveLength(2);
    const good = await pool.process(spec, bytes('d\n'));
    expect(good.ok && text(good.value)).toBe('D\n');
  });

  it('a tool whose answer depends on earlier lines is refused at start-up, naming the way out', async () => {
    const pool = rig.pool();
    const result = await pool.process(rig.spec('numbered.py'), bytes('a\n'));
    if (result.ok || result.error.reason !== 'protocol-error') throw new Error(JSON.stringify(result));
    expect(result.error.record).toBe(0);
    expect(result.error.detail).toContain('"1: docpipesentinel\\n"');
    expect(result.error.detail).toContain('sentinel: false');

    const unverified = rig.spec('numbered.py', { framing: { kind: 'lines', sentinel: null } });
    const served = await pool.process(unverified, bytes('a\nb\n'));
    expect(served.ok && text(served.value)).toBe('1: a\n2: b\n');
  });
});
