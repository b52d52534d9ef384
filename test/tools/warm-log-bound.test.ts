// A tool that floods stderr keeps only a bounded tail of it in .pipe/logs, the newest lines included.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_ROTATE_BYTES } from '../../src/tools/warm-stderr.js';
import { Rig, bytes, text } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

describe('instance logs', () => {
  it('are rotated at a size, keeping the last lines', async () => {
    const pool = rig.pool();
    const flood = 8 * LOG_ROTATE_BYTES;
    const spec = rig.spec('noisy_stderr.py', {}, { STDERR_BYTES: String(flood) });
    const document = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const result = await pool.process(spec, bytes(document));
    expect(result.ok && text(result.value)).toBe(document.toUpperCase());
    const pid = pool.list()[0]?.pid;
    await pool.close();

    const files = readdirSync(rig.logDir).sort();
    expect(files).toEqual([`noisy_stderr-${pid}.log`, `noisy_stderr-${pid}.log.1`]);
    const total = files.reduce((sum, file) => sum + statSync(join(rig.logDir, file)).size, 0);
    // Two files of at most the limit plus one pipe chunk (64 KiB) each.
    expect(total).toBeLessThan(2 * (LOG_ROTATE_BYTES + 64 * 1024));
    expect(total).toBeLessThan(flood / 2);
    const newest = readFileSync(join(rig.logDir, files[0] as string), 'utf8');
    expect(newest).toContain('processing line 2999\n');
  });
});
