// The Bazel JSON worker framing: one request per document, several in flight per worker.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseResponse } from '../../src/tools/warm-json.js';
import { Rig, bytes, sleep, text } from '../fixtures/warm/rig.js';

let rig: Rig;
beforeEach(() => {
  rig = new Rig();
});
afterEach(async () => {
  await rig.cleanup();
});

const jsonSpec = (overrides = {}) => rig.spec('json_worker.py', { framing: { kind: 'json' }, ...overrides });

describe('json framing', () => {
  it('sends each document as a request and returns the output text', async () => {
    const pool = rig.pool();
    const document = 'line one\nline two\n\n{"not": "a request"}\nünïcödé';
    const result = await pool.process(jsonSpec(), bytes(document));
    expect(result.ok && text(result.value)).toBe(document.toUpperCase());
    const empty = await pool.process(jsonSpec(), new Uint8Array(0));
    expect(empty.ok && text(empty.value)).toBe('');
    expect(rig.starts()).toHaveLength(1);
  });

  it('multiplexes concurrent documents on one worker, matching answers by requestId', async () => {
    const pool = rig.pool();
    const spec = jsonSpec();
    const settled: string[] = [];
    const results = await Promise.all(
      ['SLOW a', 'SLOW b', 'fast c', 'SLOW d'].map(async (doc) => {
        const result = await pool.process(spec, bytes(doc));
        settled.push(doc);
        return result;
      }),
    );
    expect(results.map((result) => result.ok && text(result.value))).toEqual(['SLOW A', 'SLOW B', 'FAST C', 'SLOW D']);
    expect(settled[0]).toBe('fast c'); // sent third, answered first: the requests ran at once
    expect(rig.starts()).toHaveLength(1);
    expect(pool.list()[0]?.documents).toBe(4);
  });

  it('spreads over several workers when allowed', async () => {
    const pool = rig.pool();
    const spec = jsonSpec({ instances: 2 });
    await Promise.all(['SLOW 1', 'SLOW 2', 'SLOW 3'].map((doc) => pool.process(spec, bytes(doc))));
    expect(rig.starts()).toHaveLength(2);
  });

  it('turns a non-zero exitCode into request-failed and keeps the worker', async () => {
    const pool = rig.pool();
    const result = await pool.process(jsonSpec(), bytes('FAIL this'));
    expect(result).toEqual({
      ok: false,
      error: { reason: 'request-failed', tool: 'json_worker', exitCode: 2, message: 'cannot process: FAIL this' },
    });
    const next = await pool.process(jsonSpec(), bytes('ok'));
    expect(next.ok && text(next.value)).toBe('OK');
    expect(rig.starts()).toHaveLength(1);
  });

  it('reports a line that is not JSON as a protocol error with the bytes', async () => {
    const result = await rig.pool().process(jsonSpec(), bytes('GARBAGE'));
    expect(!result.ok && result.error).toMatchObject({ reason: 'protocol-error', tool: 'json_worker', record: 1 });
    expect(JSON.stringify(result)).toContain('this is not json');
  });

  it('times out a request; other requests on the worker are re-run elsewhere', async () => {
    const pool = rig.pool();
    const spec = jsonSpec({ timeoutMs: 500 });
    await pool.process(spec, bytes('warm up')); // past start-up: deadlines are timeoutMs now
    const hung = pool.process(spec, bytes('HANG'));
    await sleep(350); // SLOW (300 ms) is still in flight when HANG's deadline kills the worker
    const slow = await pool.process(spec, bytes('SLOW but fine'));
    expect(slow.ok && text(slow.value)).toBe('SLOW BUT FINE');
    expect(await hung).toMatchObject({ ok: false, error: { reason: 'record-timeout', record: 1 } });
    expect(rig.starts()).toHaveLength(2);
  });
});

describe('parseResponse', () => {
  it('reads proto3 JSON with defaults omitted', () => {
    expect(parseResponse('{"output":"x"}')).toEqual({ ok: true, value: { requestId: 0, exitCode: 0, output: 'x' } });
    expect(parseResponse('{"requestId":3,"exitCode":1}')).toEqual({ ok: true, value: { requestId: 3, exitCode: 1, output: '' } });
  });

  it('says what is wrong', () => {
    expect(parseResponse('[1]')).toEqual({ ok: false, error: 'is not a JSON object' });
    expect(parseResponse('{"requestId":"1"}')).toEqual({
      ok: false,
      error: 'has requestId "1", expected a non-negative integer',
    });
    expect(parseResponse('nope')).toEqual({ ok: false, error: 'is not JSON' });
  });
});
