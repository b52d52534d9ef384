// Item: "model loads happen twice". The demo pipeline (two warm stages with a slow model
// load and quick documents) must load each model once, whatever -j: an instance that paid
// its start-up is neither evicted for another tool's growth nor doubled for a queue it
// would drain before a second copy finished loading. Starts are counted, never timed.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Project, REPO } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

/** Every warm instance gets its own stderr log, named <tool>-<pid>.log, when it is spawned. */
function startsPerTool(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of readdirSync(p.path('.pipe/logs'))) {
    const m = /^(\w+)-\d+\.log$/.exec(name);
    if (m !== null) counts[m[1] as string] = (counts[m[1] as string] ?? 0) + 1;
  }
  return counts;
}

describe('the demo loads each model once', () => {
  for (const jobs of ['2', '4']) {
    it(`with -j${jobs}`, async () => {
      p = new Project();
      for (const entry of ['bin', 'data', 'models', 'rules', 'pipeline.config.ts']) cpSync(join(REPO, entry), p.path(entry), { recursive: true });
      const r = await p.cli(['build', '--no-daemon', '-j', jobs], { TOOL_STARTUP: '1.5' });
      expect(r.code, r.stderr).toBe(0);
      expect(p.exists('out/corpus.stats')).toBe(true);
      expect(startsPerTool()).toEqual({ tokenize: 1, parse: 1 });
    }, 60_000);
  }
});
