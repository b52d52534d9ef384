// A document whose last line has no '\n' comes out of a warm tool exactly as out of a cold
// run: without the newline for tools that mirror their input (tr), with it for tools that
// always end a line (a Python print loop).

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WarmToolSpec } from '../../src/tools/warm-pool.js';
import { Rig, bytes, text, PROPERTY_TIMEOUT_MS } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

/** tr flushes each line only under stdbuf -oL (a pipe is block-buffered otherwise). */
const trUpper = (overrides: Partial<WarmToolSpec> = {}): WarmToolSpec =>
  rig.spec('tr', { name: 'tr', argv: ['/usr/bin/stdbuf', '-oL', 'tr', 'a-z', 'A-Z'], ...overrides });

async function sameAsCold(spec: WarmToolSpec, runs: number): Promise<void> {
  const pool = rig.pool();
  const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', 'Z'), maxLength: 5 });
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: 6 }), fc.boolean(), async (lines, finalNewline) => {
      const document = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
      const warm = await pool.process(spec, bytes(document));
      if (!warm.ok) throw new Error(JSON.stringify(warm.error));
      expect(text(warm.value), JSON.stringify(document)).toBe(text(rig.cold(spec, bytes(document))));
    }),
    { numRuns: runs },
  );
}

describe('final newline', () => {
  it('tr: no newline is added to an unterminated last line', async () => {
    const result = await rig.pool().process(trUpper(), bytes('no final newline'));
    expect(result.ok && text(result.value)).toBe('NO FINAL NEWLINE');
  });

  it('tr matches cold runs for arbitrary documents, with and without a final newline (property)', async () => {
    await sameAsCold(trUpper(), 25);
  }, PROPERTY_TIMEOUT_MS);

  it('a tool that always ends its lines keeps the newline, as its cold run prints it (property)', async () => {
    await sameAsCold(rig.spec('upper_lines.py'), 10);
  }, PROPERTY_TIMEOUT_MS);

  it('the sentinel framing restores the final newline the same way', async () => {
    await sameAsCold(trUpper({ framing: { kind: 'sentinel' } }), 15);
  });

  it('asks the cold tool once per tool, and only when a document needs it', async () => {
    const pool = rig.pool();
    const spec = rig.spec('upper_lines.py');
    for (const doc of ['a\n', 'b\n']) await pool.process(spec, bytes(doc));
    expect(rig.starts()).toHaveLength(1);
    for (const doc of ['c', 'd', 'e\nf']) {
      const result = await pool.process(spec, bytes(doc));
      expect(result.ok && text(result.value).endsWith('\n')).toBe(true);
    }
    expect(rig.starts()).toHaveLength(2); // the instance and one probe
  });
});
