// Warm settings shape a stage's output bytes, so they are part of its key: fixing a wrong
// framing rebuilds (and never restores the wrong output from the cache), and `pipe why`
// names the change.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig, type Tool } from '../../src/config/validate.js';
import { outputSettings } from '../../src/engine/output-settings.js';
import { Project, REPO } from '../rig.js';

let p: Project | undefined;
afterEach(() => p?.dispose());

/** Numbers the lines it reads: warm without a verifier, its count runs on across documents. */
const NUMBERED = join(REPO, 'test', 'fixtures', 'warm', 'numbered.py');

function config(warm: string): string {
  return `export default {
  tools: { num: { command: [${JSON.stringify(NUMBERED)}], warm: ${warm}, instances: 1 } },
  rules: [{ name: 'num', input: 'data/{doc}.txt', output: 'out/{doc}.num', tool: 'num' }],
};
`;
}

const DOCS = { 'data/a.txt': 'alpha\nbeta\n', 'data/b.txt': 'gamma\ndelta\n' };
const COLD = { 'out/a.num': '1: alpha\n2: beta\n', 'out/b.num': '1: gamma\n2: delta\n' };

function outputs(q: Project): Record<string, string> {
  return { 'out/a.num': q.read('out/a.num'), 'out/b.num': q.read('out/b.num') };
}

describe('warm settings in the stage key', () => {
  it('a fixed framing rebuilds, `why` names it, and clean + build does not restore the wrong output', async () => {
    const q = (p = new Project({ ...DOCS, 'pipeline.config.ts': config('{ sentinel: false }') }));
    const wrong = await q.cli(['build', '-j', '1']);
    expect(wrong.code, wrong.stderr).toBe(0);
    // One instance served both documents: the second one's numbers went on from the first's.
    expect(outputs(q)).not.toEqual(COLD);

    q.write('pipeline.config.ts', config('false'));
    const why = await q.cli(['why', 'out/a.num']);
    expect(why.stdout).toMatch(/out\/a\.num is stale/);
    expect(why.stdout).toMatch(/warm settings changed/);

    const fixed = await q.cli(['build', '-j', '1']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(outputs(q)).toEqual(COLD);

    expect((await q.cli(['clean'])).code).toBe(0);
    expect(q.exists('out/a.num')).toBe(false);
    const again = await q.cli(['build', '-j', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(outputs(q)).toEqual(COLD);

    // Back to the old setting: its own outputs come back from the cache, as for any revert.
    q.write('pipeline.config.ts', config('{ sentinel: false }'));
    const reverted = await q.cli(['build', '-j', '1', '--json']);
    expect(reverted.code, reverted.stderr).toBe(0);
    expect(reverted.stdout).toMatch(/"outcome":"restored"/);
    expect(reverted.stdout).not.toMatch(/"outcome":"built"/);
    expect(outputs(q)).not.toEqual(COLD);
  });

  it('settings that only say when and how often a tool runs leave the stage fresh', async () => {
    const q = (p = new Project({ ...DOCS, 'pipeline.config.ts': config('false') }));
    expect((await q.cli(['build'])).code).toBe(0);
    q.write('pipeline.config.ts', config('false').replace('instances: 1', 'instances: 2, timeoutMs: 5000, retries: 1, idleMs: 10, startupMs: 10'));
    const why = await q.cli(['why', 'out/a.num']);
    expect(why.stdout).toMatch(/out\/a\.num is up to date/);
  });

  it('every framing field and the prelude change the settings text', () => {
    const tool = (warm: string, extra = ''): Tool => {
      const v = validateConfig('pipeline.config.ts', {
        tools: { t: { command: ['cat'], warm: JSON.parse(warm) as unknown, ...(JSON.parse(`{${extra}}`) as object) } },
        rules: [{ name: 'r', input: 'a/{d}', output: 'b/{d}', tool: 't' }],
      });
      if (!v.ok) throw new Error(JSON.stringify(v.error));
      return v.value.tools.get('t') as Tool;
    };
    const variants = [
      tool('false'),
      tool('true'),
      tool('true', '"prelude": 1'),
      tool('{"sentinel": false}'),
      tool('{"sentinel": "EOD"}'),
      tool('"sentinel"'),
      tool('{"framing": "sentinel", "sentinel": "EOD"}'),
      tool('{"input": "^$", "output": "^$"}'),
      tool('{"input": "^$", "output": "^END$"}'),
      tool('{"input": "^---$", "output": "^$"}'),
      tool('{"input": "^$", "output": "^$", "sentinel": false}'),
      tool('{"protocol": "json"}'),
    ].map(outputSettings);
    expect(new Set(variants).size).toBe(variants.length);
    // Runtime settings do not.
    expect(outputSettings(tool('true', '"timeoutMs": 5, "instances": 3, "retries": 2'))).toBe(outputSettings(tool('true')));
  });
});
