// Crashes, timeouts, stray output and spawn failures become clear WarmFailures, never hangs.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('crash', () => {
  it('fails the document with the record, exit status and stderr tail, then starts afresh', async () => {
    const pool = rig.pool();
    const spec = rig.spec('crash.py');
    const crashed = await pool.process(spec, bytes('a\nb\nCRASH\nd\n'));
    expect(crashed.ok).toBe(false);
    if (crashed.ok) return;
    expect(crashed.error).toMatchObject({ reason: 'tool-crashed', tool: 'crash', record: 3, exitCode: 3, signal: null });
    if (crashed.error.reason !== 'tool-crashed') return;
    const tail = crashed.error.stderrTail.split('\n');
    expect(tail).toHaveLength(20); // the last 20 of 31 lines
    expect(tail.at(-1)).toBe('fatal: cannot handle record 5'); // the tool's own count includes the two start-up verifier lines

    const next = await pool.process(spec, bytes('e\n'));
    expect(next.ok && text(next.value)).toBe('E\n');
    expect(rig.starts()).toHaveLength(2);
  });

  it('retries on a fresh instance when retries > 0', async () => {
    const once = join(rig.dir, 'crash-once');
    writeFileSync(once, '');
    const pool = rig.pool();
    const spec = rig.spec('crash.py', { retries: 1 }, { CRASH_ONCE_FILE: once });
    const result = await pool.process(spec, bytes('a\nCRASH\nc\n'));
    expect(result.ok && text(result.value)).toBe('A\nCRASH\nC\n');
    expect(rig.starts()).toHaveLength(2);
  });

  it('reports a tool that dies during start-up, with its stderr', async () => {
    const spec = rig.spec('python3', {
      name: 'broken',
      argv: ['/usr/bin/env', 'python3', '-c', 'import sys; sys.stderr.write("ImportError: no model\\n"); sys.exit(5)'],
    });
    const result = await rig.pool().process(spec, bytes('a\nb\n'));
    expect(!result.ok && result.error).toMatchObject({
      reason: 'tool-crashed',
      tool: 'broken',
      record: 0, // before it answered the verifier record: during start-up
      exitCode: 5,
      stderrTail: 'ImportError: no model',
    });
  });

  it('gives up after the retries are used', async () => {
    const pool = rig.pool();
    const spec = rig.spec('crash.py', { retries: 2 });
    const result = await pool.process(spec, bytes('CRASH\n'));
    expect(!result.ok && result.error.reason).toBe('tool-crashed');
    expect(rig.starts()).toHaveLength(3);
  });
});

describe('timeout', () => {
  it('is a deadline per record, not per document', async () => {
    const spec = rig.spec('upper_lines.py', { timeoutMs: 400 }, { DELAY_MS: '60' });
    const document = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n'; // 10 x 60 ms = 600 ms in all
    const result = await rig.pool().process(spec, bytes(document));
    expect(result.ok && text(result.value)).toBe(document.toUpperCase());
  });

  it('kills a hung instance and names the record', async () => {
    const pool = rig.pool();
    const spec = rig.spec('hang.py', { timeoutMs: 400 });
    const result = await pool.process(spec, bytes('a\nb\nHANG\nd\n'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'record-timeout', tool: 'hang', record: 3, afterMs: 400 });
    if (result.error.reason !== 'record-timeout') return;
    expect(result.error.stderrTail).toContain('stuck on HANG');
    const pid = Number(rig.starts()[0]?.split(' ')[1]);
    expect(await until(() => !alive(pid))).toBe(true);

    const next = await pool.process(spec, bytes('fine\n'));
    expect(next.ok && text(next.value)).toBe('FINE\n');
  });

  it('gives a fresh instance startupMs on top of the first record\'s deadline', async () => {
    const pool = rig.pool();
    const slowStart = rig.spec('upper_lines.py', { timeoutMs: 200, startupMs: 3000 }, { STARTUP_MS: '500' });
    const started = await pool.process(slowStart, bytes('a\nb\n'));
    expect(started.ok && text(started.value)).toBe('A\nB\n');

    const noAllowance = rig.spec('upper_lines.py', { name: 'strict', timeoutMs: 200, startupMs: 0 }, { STARTUP_MS: '500' });
    const result = await pool.process(noAllowance, bytes('a\n'));
    // Start-up ends with the answer to the verifier record, so the deadline passes before record 1.
    expect(!result.ok && result.error).toMatchObject({ reason: 'record-timeout', record: 0, afterMs: 200 });
    expect(!result.ok && result.error.reason === 'record-timeout' && result.error.hint).toContain('of starting');
  });

  it('ends the start-up allowance with the first answer', async () => {
    const pool = rig.pool();
    const spec = rig.spec('hang.py', { timeoutMs: 300, startupMs: 60_000 });
    expect((await pool.process(spec, bytes('a\n'))).ok).toBe(true);
    // afterMs 300, not 60300: the allowance ended (without it this would hang past the test).
    const result = await pool.process(spec, bytes('HANG\n'));
    expect(!result.ok && result.error).toMatchObject({ reason: 'record-timeout', record: 1, afterMs: 300 });
  });

  it('names the buffering fixes when a block-buffered tool looks hung', async () => {
    const pool = rig.pool();
    const spec = rig.spec('buffered.py', { timeoutMs: 500, startupMs: 0 });
    delete spec.env['PYTHONUNBUFFERED'];
    const result = await pool.process(spec, bytes('one\ntwo\n'));
    expect(result.ok).toBe(false);
    if (result.ok || result.error.reason !== 'record-timeout') throw new Error(JSON.stringify(result));
    expect(result.error.record).toBe(0); // no answer even to the start-up verifier record
    expect(result.error.hint).toContain('PYTHONUNBUFFERED=1');
    expect(result.error.hint).toContain('stdbuf -oL');
    expect(result.error.hint).toContain('flush stdout after each record');
    expect(result.error.hint).toContain('without PYTHONUNBUFFERED');

    // The same tool works once told not to buffer.
    const fixed = await pool.process(rig.spec('buffered.py', { timeoutMs: 2000 }), bytes('one\ntwo\n'));
    expect(fixed.ok && text(fixed.value)).toBe('ONE\nTWO\n');
  });

  it('bounds a prelude that never arrives', async () => {
    const spec = rig.spec('upper_lines.py', { prelude: 1, timeoutMs: 5000, startupMs: 300 });
    const result = await rig.pool().process(spec, bytes('a\n'));
    expect(!result.ok && result.error).toMatchObject({ reason: 'record-timeout', record: 0 });
  });
});

describe('stray output', () => {
  it('fails the document when more output follows an answer, naming the bytes', async () => {
    const pool = rig.pool();
    const spec = rig.spec('stray.py');
    const result = await pool.process(spec, bytes('a\nSTRAY\n'));
    expect(result.ok).toBe(false);
    if (result.ok || result.error.reason !== 'misaligned-output') throw new Error(JSON.stringify(result));
    expect(result.error.record).toBe(2);
    expect(result.error.detail).toContain('"debug: saw STRAY\\n"');
    expect(rig.starts()).toHaveLength(1);
    const next = await pool.process(spec, bytes('b\n'));
    expect(next.ok && text(next.value)).toBe('B\n');
    expect(rig.starts()).toHaveLength(2);
  });

  it('without a verifier, retires an instance that writes while idle and never blames the next document', async () => {
    const events: WarmEvent[] = [];
    const pool = rig.pool({ onEvent: (event) => events.push(event) });
    const spec = rig.spec('stray.py', { framing: { kind: 'lines', sentinel: null } });
    const first = await pool.process(spec, bytes('LATE\n'));
    expect(first.ok && text(first.value)).toBe('LATE\n');
    expect(await until(() => events.some((event) => event.kind === 'instance-failed'))).toBe(true);
    const failed = events.find((event) => event.kind === 'instance-failed');
    expect(failed).toMatchObject({ failure: { reason: 'protocol-error', tool: 'stray', record: 0 } });
    expect(JSON.stringify(failed)).toContain('debug: late');

    const second = await pool.process(spec, bytes('x\n'));
    expect(second.ok && text(second.value)).toBe('X\n');
    expect(rig.starts()).toHaveLength(2); // served by a fresh instance
  });
});

describe('stderr', () => {
  it('drains stderr into a per-instance log while stdout carries only records', async () => {
    const pool = rig.pool();
    const spec = rig.spec('noisy_stderr.py', {}, { STDERR_BYTES: String(256 * 1024) });
    const document = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const result = await pool.process(spec, bytes(document));
    expect(result.ok && text(result.value)).toBe(`${document.toUpperCase()}\n`);
    const pid = pool.list()[0]?.pid;
    await pool.close();
    expect(readdirSync(rig.logDir)).toEqual([`noisy_stderr-${pid}.log`]);
    const log = readFileSync(join(rig.logDir, `noisy_stderr-${pid}.log`), 'utf8');
    expect(log).toContain('processing line 0\n');
    expect(log).toContain('processing line 1999\n');
    expect(log.length).toBeGreaterThan(256 * 1024);
  });
});

describe('spawn', () => {
  it('fails with spawn-failed for a missing executable', async () => {
    const spec = rig.spec('upper_lines.py', { argv: ['/nonexistent/tool'] });
    const result = await rig.pool().process(spec, bytes('a\n'));
    expect(!result.ok && result.error).toMatchObject({ reason: 'spawn-failed', tool: 'upper_lines' });
    expect(JSON.stringify(result)).toContain('ENOENT');
  });

  it('fails with spawn-failed for a missing working directory', async () => {
    const spec = rig.spec('upper_lines.py', { cwd: join(rig.dir, 'missing') });
    const result = await rig.pool().process(spec, bytes('a\n'));
    expect(!result.ok && result.error.reason).toBe('spawn-failed');
    expect(JSON.stringify(result)).toContain('missing');
  });

  it('rejects an invalid spec, quoting the bad value', async () => {
    const pool = rig.pool();
    await expect(pool.process(rig.spec('upper_lines.py', { instances: 0 }), bytes('a\n'))).rejects.toThrow(
      /instances is 0, expected an integer >= 1/,
    );
    await expect(pool.process(rig.spec('upper_lines.py', { argv: ['relative/tool'] }), bytes('a\n'))).rejects.toThrow(
      /argv\[0\] is "relative\/tool", expected an absolute path/,
    );
  });
});
