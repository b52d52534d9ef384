// Warm output must be byte-identical to a cold run of the same tool on the whole document.

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rig, bytes, text, PROPERTY_TIMEOUT_MS } from '../fixtures/warm/rig.js';
import type { WarmToolSpec } from '../../src/tools/warm-pool.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

const blankLines: WarmToolSpec['framing'] = { kind: 'terminated', input: /^$/, output: /^$/ };

/** Random documents of lines drawn from `chars`, with or without a final newline, warm == cold. */
async function propertySameAsCold(spec: WarmToolSpec, chars: string[], maxLines: number): Promise<void> {
  const pool = rig.pool();
  const line = fc.string({ unit: fc.constantFrom(...chars), maxLength: 6 });
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: maxLines }), fc.boolean(), async (lines, finalNewline) => {
      const document = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
      const warm = await pool.process(spec, bytes(document));
      expect(warm.ok && text(warm.value)).toBe(text(rig.cold(spec, bytes(document))));
    }),
    { numRuns: 20 },
  );
}

async function expectSameAsCold(spec: WarmToolSpec, documents: readonly string[]): Promise<void> {
  const pool = rig.pool();
  for (const document of documents) {
    const input = bytes(document);
    const warm = await pool.process(spec, input);
    if (!warm.ok) throw new Error(`failed: ${JSON.stringify(warm.error)}`);
    expect(text(warm.value), JSON.stringify(document)).toBe(text(rig.cold(spec, input)));
  }
}

describe('lines framing', () => {
  it('answers line by line, identical to a cold run, on one warm instance', async () => {
    const spec = rig.spec('upper_lines.py');
    await expectSameAsCold(spec, ['hello\nworld\n', 'no final newline', '\n\n\n', 'a\n\nb\n', 'ünïcödé ✓\n']);
    expect(rig.starts()).toHaveLength(2); // the instance, and one cold probe of how it ends an unterminated line
  });

  it('returns nothing for an empty document without starting the tool', async () => {
    const pool = rig.pool();
    const result = await pool.process(rig.spec('upper_lines.py'), new Uint8Array(0));
    expect(result).toEqual({ ok: true, value: new Uint8Array(0) });
    expect(rig.starts()).toHaveLength(0);
  });

  it('matches a cold run for arbitrary documents (property)', async () => {
    await propertySameAsCold(rig.spec('upper_lines.py'), ['a', 'b', ' ', 'é', '\t', 'Z'], 8);
    expect(rig.starts()).toHaveLength(2); // the instance, and one cold probe of how it ends an unterminated line
  }, PROPERTY_TIMEOUT_MS);

  it('streams a 5 MB document through without deadlocking on the pipe buffers', async () => {
    const spec = rig.spec('upper_lines.py');
    const line = 'the quick brown fox jumps over the lazy dog 0123456789\n';
    const document = line.repeat(Math.ceil((5 * 1024 * 1024) / line.length));
    const pool = rig.pool();
    const warm = await pool.process(spec, bytes(document));
    expect(warm.ok).toBe(true);
    if (!warm.ok) return;
    expect(warm.value.length).toBe(document.length);
    expect(text(warm.value)).toBe(document.toUpperCase());
    expect(pool.list()[0]?.records).toBe(document.length / line.length);
  });

  it('streams a single 5 MB line through cat', async () => {
    const spec = rig.spec('cat', { argv: ['/bin/cat'], name: 'cat' });
    const document = `${'x'.repeat(5 * 1024 * 1024)}\n`;
    const warm = await rig.pool().process(spec, bytes(document));
    expect(warm.ok && warm.value.length).toBe(document.length);
  });
});

describe('terminated framing', () => {
  it('sends blank-line separated blocks and matches a cold run', async () => {
    const spec = rig.spec('blocks.py', { framing: blankLines });
    await expectSameAsCold(spec, [
      'the cat\nsat on\n\nthe mat\n\n',
      'unterminated last block\nstill a record',
      'ends with its line\n',
      'a\n\n\n\nb\n\n', // empty blocks are records too
      '\n',
      '   \n\n', // a block of whitespace has no tokens: its answer is the terminator alone
    ]);
    expect(rig.starts()).toHaveLength(1);
  });

  it('uses different input and output terminators', async () => {
    const spec = rig.spec(
      'blocks.py',
      { framing: { kind: 'terminated', input: /^<eos>$/, output: /^<\/s>$/ } },
      { IN_TERM: '<eos>', OUT_TERM: '</s>' },
    );
    await expectSameAsCold(spec, ['one two\n<eos>\nthree\n<eos>\n', 'four\n<eos>\nfive six']);
  });

  it('fails clearly when the last record cannot be completed', async () => {
    const spec = rig.spec('blocks.py', { framing: { kind: 'terminated', input: /^<eos>$/, output: /^$/ } });
    const result = await rig.pool().process(spec, bytes('no terminator anywhere\n'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'protocol-error', tool: 'blocks' });
    expect(JSON.stringify(result.error)).toContain('/^<eos>$/');
  });

  it('matches a cold run for arbitrary block documents (property)', async () => {
    await propertySameAsCold(rig.spec('blocks.py', { framing: blankLines }), ['a', 'b', ' ', 'ß'], 10);
  }, PROPERTY_TIMEOUT_MS);

  it('streams a 5 MB document of blocks', async () => {
    const spec = rig.spec('blocks.py', { framing: blankLines });
    const document = 'alpha beta gamma\ndelta epsilon\n\n'.repeat(170_000);
    const warm = await rig.pool().process(spec, bytes(document));
    expect(warm.ok).toBe(true);
    if (!warm.ok) return;
    expect(text(warm.value)).toBe('ALPHA\nBETA\nGAMMA\nDELTA\nEPSILON\n\n'.repeat(170_000));
  });
});

describe('prelude', () => {
  it('prepends the start-up records to every document, as a cold run prints them', async () => {
    const spec = rig.spec('prelude.py', { prelude: 2 }, { PRELUDE_LINES: '2' });
    const pool = rig.pool();
    await expectSameAsCold(spec, ['one\ntwo\n', 'three\n']);
    const empty = await pool.process(spec, new Uint8Array(0));
    expect(empty.ok && text(empty.value)).toBe('# model v1 loaded (0)\n# model v1 loaded (1)\n');
    expect(rig.starts()).toHaveLength(2); // one per pool
  });

  it('reports a tool that prints more than its prelude before any record', async () => {
    const spec = rig.spec('prelude.py', { prelude: 1 }, { PRELUDE_LINES: '2' });
    const result = await rig.pool().process(spec, bytes('x\n'));
    expect(!result.ok && result.error).toMatchObject({ reason: 'protocol-error', tool: 'prelude', record: 0 });
    expect(JSON.stringify(result)).toContain('# model v1 loaded (1)');
  });
});
