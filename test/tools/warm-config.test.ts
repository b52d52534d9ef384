// The warm options in pipeline.config.ts: framing and sentinel normalize to pool framings,
// and bad values get a diagnostic naming the field, the value and what was expected.

import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';

function warm(setting: unknown): ReturnType<typeof validateConfig> {
  return validateConfig('pipeline.config.ts', {
    tools: { t: { command: ['t'], warm: setting } },
    rules: [{ name: 'r', input: 'data/{doc}.txt', output: 'out/{doc}.t', tool: 't' }],
  });
}

function framingOf(setting: unknown): unknown {
  const result = warm(setting);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value.tools.get('t')?.warm;
}

function problems(setting: unknown): string[] {
  const result = warm(setting);
  return result.ok ? [] : result.error.map((d) => `${d.at}: ${d.message}`);
}

describe('warm framing options', () => {
  it('normalize to framings', () => {
    expect(framingOf('sentinel')).toEqual({ kind: 'sentinel' });
    expect(framingOf({ framing: 'sentinel' })).toEqual({ kind: 'sentinel' });
    expect(framingOf({ framing: 'sentinel', sentinel: 'EOD' })).toEqual({ kind: 'sentinel', sentinel: 'EOD' });
    expect(framingOf({ framing: 'lines' })).toEqual({ kind: 'lines' });
    expect(framingOf({ sentinel: false })).toEqual({ kind: 'lines', sentinel: null });
    expect(framingOf({ input: '^$', sentinel: 'x' })).toEqual({ kind: 'terminated', input: /^$/, output: /^$/, sentinel: 'x' });
  });

  it('reject bad values with the field, the value and what was expected', () => {
    expect(problems({ framing: 'blocks' })).toEqual([
      "tools.t.warm.framing: expected 'lines' (one answer per record) or 'sentinel' (any stdin->stdout tool), got 'blocks'",
    ]);
    expect(problems({ framing: 'sentinel', sentinel: false })).toEqual([
      "tools.t.warm.sentinel: 'sentinel' framing needs a sentinel (it ends each document), got false",
    ]);
    expect(problems({ sentinel: 'two\nlines' })[0]).toContain("tools.t.warm.sentinel: expected a one-line marker text");
    expect(problems({ sentinel: '' })[0]).toContain('tools.t.warm.sentinel');
    expect(problems({ framing: 'sentinel', input: '^$' })[0]).toContain("'sentinel' framing needs no input/output terminators");
  });
});
