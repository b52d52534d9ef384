// The sentinel framing: any stdin->stdout tool that flushes works warm, however many lines it
// answers a line with (none for a blank line, several for a long one), byte-identical to cold.

import { existsSync } from 'node:fs';
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

const sentinel: WarmToolSpec['framing'] = { kind: 'sentinel' };

/** A real tool from a Debian package; tests that need it say so in their name and are skipped only without it. */
function debianTool(path: string, pkg: string): boolean {
  const present = existsSync(path);
  if (!present) console.warn(`SKIPPED: ${path} is not installed (Debian package ${pkg}); CI installs it`);
  return present;
}
const HAS_MECAB = debianTool('/usr/bin/mecab', 'mecab mecab-ipadic-utf8');
const HAS_HUNSPELL = debianTool('/usr/bin/hunspell', 'hunspell hunspell-en-us');
const HAS_LINK_PARSER = debianTool('/usr/bin/link-parser', 'link-grammar');

async function expectSameAsCold(spec: WarmToolSpec, documents: readonly string[], epilogue = ''): Promise<void> {
  const pool = rig.pool();
  for (const document of documents) {
    const warm = await pool.process(spec, bytes(document));
    if (!warm.ok) throw new Error(`failed on ${JSON.stringify(document)}: ${JSON.stringify(warm.error)}`);
    const cold = text(rig.cold(spec, bytes(document)));
    expect(cold.endsWith(epilogue)).toBe(true);
    expect(text(warm.value), JSON.stringify(document)).toBe(cold.slice(0, cold.length - epilogue.length));
  }
}

describe('sentinel framing with fixture tools', () => {
  it('takes a tool that answers blank lines with nothing and other lines with several lines', async () => {
    const spec = rig.spec('skip_blank.py', { framing: sentinel });
    await expectSameAsCold(spec, ['a b c\n\n\nd\n', '\n\n', 'one\n', 'x y', '']);
    expect(rig.starts()).toHaveLength(2); // the instance, and one probe for the unterminated 'x y'
  });

  it('matches cold runs for arbitrary documents (property)', async () => {
    const spec = rig.spec('skip_blank.py', { framing: sentinel });
    const pool = rig.pool();
    const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é'), maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 6 }), async (lines) => {
        const document = lines.map((l) => `${l}\n`).join('');
        const warm = await pool.process(spec, bytes(document));
        expect(warm.ok && text(warm.value)).toBe(text(rig.cold(spec, bytes(document))));
      }),
      { numRuns: 10 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('under lines framing the same tool fails clearly instead of misaligning', async () => {
    const spec = rig.spec('skip_blank.py', { timeoutMs: 1000 });
    const result = await rig.pool().process(spec, bytes('a b\nc\n'));
    expect(!result.ok && result.error.reason).toBe('misaligned-output');
  });

  it('learns a start-up banner as the prelude of every output', async () => {
    const spec = rig.spec('prelude.py', { framing: sentinel }, { PRELUDE_LINES: '2' });
    await expectSameAsCold(spec, ['one\ntwo\n', '']);
  });

  it('refuses a document that contains the sentinel line, naming it', async () => {
    const spec = rig.spec('skip_blank.py', { framing: { kind: 'sentinel', sentinel: 'END-OF-DOC' } });
    const result = await rig.pool().process(spec, bytes('a\nEND-OF-DOC\nb\n'));
    expect(!result.ok && result.error).toMatchObject({ reason: 'protocol-error', record: 0 });
    expect(JSON.stringify(result)).toContain('END-OF-DOC');
    expect(rig.starts()).toHaveLength(0);
  });

  it('a tool that answers the sentinel with nothing times out at start-up with a hint', async () => {
    const spec = rig.spec('skip_blank.py', { framing: { kind: 'sentinel', sentinel: ' ' }, timeoutMs: 300, startupMs: 300 });
    const result = await rig.pool().process(spec, bytes('a\n'));
    if (result.ok || result.error.reason !== 'record-timeout') throw new Error(JSON.stringify(result));
    expect(result.error.record).toBe(0);
    expect(result.error.hint).toContain('no answer to the marker line');
  });
});

describe('sentinel framing with real Debian tools', () => {
  it.skipIf(!HAS_MECAB)('mecab (needs mecab, mecab-ipadic-utf8): a line longer than its 8 KiB buffer, blank lines', async () => {
    const spec = rig.spec('mecab', { name: 'mecab', argv: ['/usr/bin/mecab'], framing: sentinel });
    const long = 'すもももももももものうち'.repeat(400); // 14 KiB: several EOS blocks for one line
    await expectSameAsCold(spec, [`${long}\n`, '東京に行く\n\n\n京都\n', 'no final newline']);
  });

  it.skipIf(!HAS_HUNSPELL)('hunspell -a (needs hunspell, hunspell-en-us): blank lines, misspellings, its banner', async () => {
    const spec = rig.spec('hunspell', { name: 'hunspell', argv: ['/usr/bin/hunspell', '-d', 'en_US', '-a'], framing: sentinel });
    await expectSameAsCold(spec, ['hello world\n\nwrld\n', '\n\n', 'speling mistaks\n']);
  });

  it.skipIf(!HAS_LINK_PARSER)('link-parser (needs link-grammar): blank lines get no answer', async () => {
    const spec = rig.spec('link-parser', { name: 'link-parser', argv: ['/usr/bin/link-parser'], framing: sentinel, timeoutMs: 20_000 });
    // A cold run also prints "Bye." when stdin ends; a warm instance's stdin does not end.
    await expectSameAsCold(spec, ['The cat sat on the mat.\n\nDogs bark.\n', '\n', 'Colorless green ideas sleep furiously.\n'], 'Bye.\n');
  });
});
