// The soak in CI: its checks first shown to catch the faults they are for, then a short
// seeded run (a shuffled deck of every operation: edits, builds with and without the daemon,
// concurrent clients, re-creating the directory, SIGKILL/SIGSTOP of clients and daemons).
// Replay a failure with the command the soak prints; longer runs: `npm run soak`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../daemon/daemon-rig.js';
import { REPO } from '../rig.js';

/** The CI seed: its deck re-creates the directory under a running daemon (the paused variant) midway and stops a daemon with SIGSTOP near the end. */
const SEED = '9';

function soak(args: string[], boundMs: number): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['CI']; // the soak's clients start daemons
  const child = spawn(process.execPath, [join(REPO, 'scripts', 'soak.mjs'), ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  let code: number | null | undefined;
  child.on('close', (c) => (code = c));
  return waitFor(() => `\`node scripts/soak.mjs ${args.join(' ')}\` to finish; output so far:\n${output}`, () => code !== undefined && { code, output }, boundMs).catch((e: unknown) => {
    child.kill('SIGTERM'); // the soak cleans up after itself on its way out
    throw e;
  });
}

describe('soak', () => {
  it("reports a stage re-run, a stage run twice and outputs unlike a clean build (its checks can fail)", async () => {
    const r = await soak(['--self-check'], 50_000);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('soak: self-check passed');
  }, 60_000);

  it(`a short seeded soak (seed ${SEED}): outputs equal a clean build, no stage runs twice, nothing left running`, async () => {
    const r = await soak(['--profile', 'ci', '--seed', SEED, '--bound-ms', '20000'], 110_000);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/soak: \d+ steps passed/);
  }, 120_000);
});
