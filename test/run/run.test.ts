// `pipe run`: a background server per tool identity, reused by later calls, byte-identical
// to running the tool directly, replaced when the tool changes, gone when idle.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, RunProject, until } from './rig.js';

let p: RunProject;
beforeEach(() => {
  p = new RunProject();
});
afterEach(async () => {
  await p.dispose();
});

/** Idle time long enough for any test, short enough that a leaked server goes away. */
const W = ['-w', '120'];

describe('pipe run', () => {
  it('starts a server on the first call and reuses it on the second (one tool start)', async () => {
    const first = await p.run([...W, '--', './upper_lines.py'], 'hello\nworld\n');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.toString()).toBe('HELLO\nWORLD\n');
    const servers = p.servers();
    expect(servers).toHaveLength(1);

    const second = await p.run([...W, '--', './upper_lines.py'], 'again\n');
    expect(second.code).toBe(0);
    expect(second.stdout.toString()).toBe('AGAIN\n');
    expect(p.servers().map((s) => s.pid)).toEqual(servers.map((s) => s.pid));
    expect(p.starts()).toHaveLength(1);
  });

  it('answers byte-identically to running the tool directly', async () => {
    const big = Array.from({ length: 40_000 }, (_, i) => `line ${i} ünïcödé ✓`).join('\n') + '\n'; // > pipe buffer
    for (const doc of ['a\n\nb\n', 'no final newline', '\n\n\n', 'ünïcödé ✓\n', '', big]) {
      const r = await p.run([...W, '--', './upper_lines.py'], doc);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.equals(p.cold(['./upper_lines.py'], doc)), JSON.stringify(doc.slice(0, 40))).toBe(true);
    }
    expect(p.starts()).toHaveLength(2); // the server's instance, and one cold probe for 'no final newline'
  });

  it('resolves the command on PATH', async () => {
    const r = await p.run([...W, '--', 'cat'], 'x\ny\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe('x\ny\n');
    expect(p.servers()[0]?.argv[0]).toMatch(/^\/.*\/cat$/);
  });

  it('starts a new server when a file argument (a model) is replaced', async () => {
    p.write('model.bin', 'weights v1');
    await p.run([...W, '--', './upper_lines.py', '-m', 'model.bin'], 'a\n');
    await p.run([...W, '--', './upper_lines.py', '-m', 'model.bin'], 'b\n');
    expect(p.starts()).toHaveLength(1);
    p.write('model.bin', 'weights v2');
    const r = await p.run([...W, '--', './upper_lines.py', '--model=model.bin'], 'c\n');
    expect(r.stdout.toString()).toBe('C\n');
    p.write('model.bin', 'weights v3');
    await p.run([...W, '--', './upper_lines.py', '-m', 'model.bin'], 'd\n');
    expect(p.starts()).toHaveLength(3);
  });

  it('starts a new server when the tool script changes, never answering with the stale one', async () => {
    const r1 = await p.run([...W, '--', './upper_lines.py'], 'abc\n');
    expect(r1.stdout.toString()).toBe('ABC\n');
    const [old] = p.servers();
    expect(old).toBeDefined();

    // Same size, same second: only the content differs.
    const src = readFileSync(p.path('upper_lines.py'), 'utf8');
    const edited = src.replace('out(line.upper() + b"\\n")', 'out(line[::-1] + b"\\n")');
    expect(edited).not.toBe(src);
    writeFileSync(p.path('upper_lines.py'), edited);

    const r2 = await p.run([...W, '--', './upper_lines.py'], 'abc\n');
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout.toString()).toBe('cba\n');
    expect(p.starts()).toHaveLength(2);
    const now = p.servers();
    expect(now.map((s) => s.key)).not.toContain(old?.key);
    // The old server was told to retire: it exits.
    expect(await until(() => !alive(old?.pid ?? 0))).toBe(true);

    // Editing it back is another identity again (the old server is gone): correct output.
    writeFileSync(p.path('upper_lines.py'), src);
    const r3 = await p.run([...W, '--', './upper_lines.py'], 'abc\n');
    expect(r3.stdout.toString()).toBe('ABC\n');
  });

  it('frames multi-line records with -t/-T', async () => {
    const doc = 'the cat\nsat\n---\non the\nmat\n---\nlast block\n';
    const env = { IN_TERM: '---', OUT_TERM: '===' };
    const r = await p.run([...W, '-t', '^---$', '-T', '^===$', '--', './blocks.py'], doc, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.equals(p.cold(['./blocks.py'], doc, env))).toBe(true);
    expect(r.stdout.toString()).toBe('THE\nCAT\nSAT\n===\nON\nTHE\nMAT\n===\nLAST\nBLOCK\n===\n');
    // Blank-line blocks, one -t for both directions.
    const doc2 = 'a b\nc\n\nd\n\n';
    const r2 = await p.run([...W, '-t', '^$', '--', './blocks.py'], doc2);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout.equals(p.cold(['./blocks.py'], doc2))).toBe(true);
    expect(p.starts()).toHaveLength(2);
  });

  it('heads every output with the prelude (-P), printed once by the tool', async () => {
    const env = { PRELUDE_LINES: '2' };
    for (const doc of ['x\n', 'y\nz\n']) {
      const r = await p.run([...W, '-P', '2', '--', './prelude.py'], doc, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.equals(p.cold(['./prelude.py'], doc, env))).toBe(true);
    }
    expect(p.starts()).toHaveLength(1);
  });

  it('fails a call on a crashing tool with the tool, record and stderr tail; the next call works', async () => {
    const r = await p.run([...W, '--', './crash.py'], 'ok\nCRASH\nafter\n');
    expect(r.code).not.toBe(0);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toContain("warm tool 'crash.py' exited with status 3 at record 2");
    expect(r.stderr).toMatch(/fatal: cannot handle record \d/); // the fixture's count includes the start-up verifier lines
    const again = await p.run([...W, '--', './crash.py'], 'fine\n');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.toString()).toBe('FINE\n');
  });

  it('fails a call on a hung record after --timeout-ms, naming the record', async () => {
    const r = await p.run([...W, '--timeout-ms', '500', '--', './hang.py'], 'a\nHANG\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/gave no answer within \d+ ms at record 2/);
    expect(r.stderr).toContain('stuck on HANG');
  });

  it('serves concurrent first calls from one server, spread over its instances', async () => {
    const docs = Array.from({ length: 6 }, (_, i) => `doc ${i}\nline two of ${i}\n`);
    const results = await Promise.all(docs.map((d) => p.run([...W, '--', './upper_lines.py'], d, { DELAY_MS: '30' })));
    for (const [i, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe(docs[i]?.toUpperCase());
    }
    // Racing servers settle on one; the losers exit.
    expect(await until(() => p.servers().length === 1)).toBe(true);
    expect(p.starts().length).toBeGreaterThanOrEqual(1);
    expect(p.starts().length).toBeLessThanOrEqual(2); // instances: 2
  });

  it('keeps the socket private: 0600 in a 0700 directory', async () => {
    await p.run([...W, '--', './upper_lines.py'], 'x\n');
    const [s] = p.servers();
    expect(s).toBeDefined();
    expect(statSync(s?.socket ?? '').isSocket()).toBe(true);
    expect(statSync(s?.socket ?? '').mode & 0o777).toBe(0o600);
    expect(statSync(p.path('.pipe/run')).mode & 0o777).toBe(0o700);
  });

  it('exits after the idle time, removing its socket and stopping the tool', async () => {
    const r = await p.run(['-w', '1', '--', './upper_lines.py'], 'x\n');
    expect(r.code, r.stderr).toBe(0);
    const [s] = p.servers();
    expect(s).toBeDefined();
    const toolPid = Number(p.starts()[0]?.split(' ')[1]);
    expect(await until(() => !alive(s?.pid ?? 0))).toBe(true);
    expect(p.servers()).toHaveLength(0);
    expect(() => statSync(s?.socket ?? '')).toThrow();
    expect(await until(() => !alive(toolPid))).toBe(true);
  });

  it('puts the socket under the temp directory when the project path is too long for one', async () => {
    await p.dispose();
    const base = new RunProject();
    p = new RunProject(base.path(`${'deep-directory-name-'.repeat(5)}/x`));
    const r = await p.run([...W, '--', './upper_lines.py'], 'long\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe('LONG\n');
    const [s] = p.servers();
    expect(s?.socket.startsWith(p.root)).toBe(false);
    expect(statSync(s?.socket ?? '').mode & 0o777).toBe(0o600);
    await p.dispose();
    await base.dispose();
    p = new RunProject();
  });

  it('reports usage errors and missing commands with distinct exit codes', async () => {
    const missing = await p.run(['--', './no-such-tool'], 'x\n');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("command not found: './no-such-tool'");
    const badRe = await p.run(['-t', '(', '--', './upper_lines.py'], 'x\n');
    expect(badRe.code).toBe(2);
    expect(badRe.stderr).toContain("option '-t': '(' is not a valid regular expression");
    const badN = await p.run(['-P', 'two', '--', './upper_lines.py'], 'x\n');
    expect(badN.code).toBe(2);
    expect(badN.stderr).toContain("expected a whole number from 0 to 1000000, got 'two'");
    const help = await p.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toContain('Usage: pipe run [options] -- <command...>');
    expect(p.servers()).toHaveLength(0);
  });
});
