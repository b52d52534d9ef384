// Failure paths through the real CLI: bad or missing config, failing and missing tools,
// unwritable outputs, killed and concurrent builds. Every message must name what is at fault.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../daemon/daemon-rig.js';
import { CLI, pmbConfig, Project } from '../rig.js';

let p: Project;
const groups: number[] = [];
afterEach(() => {
  // Any process group we started and did not already reap (a slow tool's `sleep`) goes too.
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  p?.dispose();
});


/** Every file under the project except the state directory and the tool log, sorted. */
function projectFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      const rel = relative(p.root, abs);
      if (rel === '.pipe' || rel === 'tool.log') continue;
      if (e.isDirectory()) walk(abs);
      else out.push(rel);
    }
  };
  walk(p.root);
  return out.sort();
}

/** Everything below .pipe/tmp (each process writes its temps in a directory of its own there). */
function pipeTmp(): string[] {
  const dir = p.path('.pipe/tmp');
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];
}

/** A two-stage chain whose first tool fails for documents containing "BAD". */
const CHECK_CONFIG = `export default {
  rules: [
    { name: 'check', input: 'data/{doc}.txt', output: 'out/{doc}.chk', command: ['badword'] },
    { name: 'parse', input: 'out/{doc}.chk', output: 'out/{doc}.parse', command: ['parse'] },
  ],
};
`;

const SLOW_CONFIG = `export default {
  rules: [{ name: 'slowly', input: 'data/{doc}.txt', output: 'out/{doc}.slow', command: ['slow'] }],
};
`;

describe('config errors', () => {
  it('a syntax error in pipeline.config.ts exits 2 and names the file and line', async () => {
    p = new Project({ 'pipeline.config.ts': "export default {\n  rules: [ { name: 'x', \n", 'data/a.txt': 'a\n' });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const file = p.path('pipeline.config.ts');
    expect(r.stderr.startsWith(`pipe: loading ${file} failed:\n`)).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+`));
    expect(p.takeRuns()).toEqual([]);
  });

  it('a config that throws exits 2 and shows the error with the file', async () => {
    p = new Project({ 'pipeline.config.ts': "throw new Error('models directory not mounted');\nexport default { rules: [] };\n" });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pipe: loading ${p.path('pipeline.config.ts')} failed:\n    Error: models directory not mounted\n`);
  });

  it('an invalid rule exits 2 and names the file, the rule, the field and the bad value', async () => {
    p = new Project({
      'pipeline.config.ts': pmbConfig().replace("tool: 'parse'", "tool: 'parser'"),
      'data/a.txt': 'a\n',
    });
    for (const cmd of [['build'], ['status'], ['why', 'out/a.tok'], ['clean']]) {
      const r = await p.cli(cmd);
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stderr).toBe(`pipe: invalid config:\n  ${p.path('pipeline.config.ts')}: rules[1] (parse).tool: unknown tool 'parser'; defined tools: tok, parse (did you mean 'parse'?)\n`);
    }
    expect(p.takeRuns()).toEqual([]);
    expect(p.exists('out')).toBe(false);
  });

  it('several invalid fields are all reported at once', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { tok: { command: ['tok'], instances: 0 } },
  rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/all.tok', tool: 'tok' }],
};`,
    });
    const r = await p.cli(['build']);
    const file = p.path('pipeline.config.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        'pipe: invalid config:',
        `  ${file}: tools.tok.instances: expected a whole number >= 1, got 0`,
        `  ${file}: rules[0] (tokenize).output: 'out/all.tok' lacks the wildcard {doc} used in the input, so different inputs would write the same output`,
        '',
      ].join('\n'),
    );
  });

  it('a config without a default export says so', async () => {
    p = new Project({ 'pipeline.config.ts': "export const pipeline = { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] }] };\n" });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pipe: ${p.path('pipeline.config.ts')} has no default export; export default { tools: {...}, rules: [...] }\n`);
  });

  it('no config exits 2 and lists every name tried', async () => {
    p = new Project({ 'data/a.txt': 'a\n' });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        'pipe: no pipeline config found; looked for:',
        `  ${p.path('pipeline.config.ts')}`,
        `  ${p.path('pipeline.config.mts')}`,
        `  ${p.path('pipeline.config.js')}`,
        `  ${p.path('pipeline.config.mjs')}`,
        'Create pipeline.config.ts (see README) or pass --config FILE.',
        '',
      ].join('\n'),
    );
  });

  it('--config with a missing file names that file', async () => {
    p = new Project({ 'pipeline.config.ts': pmbConfig() });
    const r = await p.cli(['build', '--config', 'other.config.ts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pipe: no pipeline config found; looked for:\n  ${p.path('other.config.ts')}\nCreate pipeline.config.ts (see README) or pass --config FILE.\n`);
  });

  it('two rules producing the same file exit 2 and name both rules and the path', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  rules: [
    { name: 'plain', input: 'data/{doc}.txt', output: 'out/{doc}.x', command: ['tok'] },
    { name: 'variant', input: 'src/{doc}.txt', output: 'out/{doc}-v.x', command: ['tok'] },
  ],
};`,
      'data/a-v.txt': 'a\n',
      'src/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pipe: rules '(plain|variant)' and '(plain|variant)' both produce out\/a-v\.x; each output must have exactly one rule\n$/);
    expect(r.stderr).toContain("'plain'");
    expect(r.stderr).toContain("'variant'");
    expect(p.takeRuns()).toEqual([]);
  });

  it('a dependency cycle exits 2 and shows the loop', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  rules: [
    { name: 'forth', input: 'x/{n}.a', output: 'x/{n}.b', command: ['tok'] },
    { name: 'back', input: 'x/{n}.b', output: 'x/{n}.a', command: ['tok'] },
  ],
};`,
      'x/1.a': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pipe: dependency cycle: (forth \(x\/1\.b\) -> back \(x\/1\.a\) -> forth \(x\/1\.b\)|back \(x\/1\.a\) -> forth \(x\/1\.b\) -> back \(x\/1\.a\))\n$/);
  });

  it('a .mjs config is found when there is no .ts config', async () => {
    p = new Project({
      'pipeline.config.mjs': "export default { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] }] };\n",
      'data/a.txt': 'a  b\n',
    });
    const r = await p.cli(['build']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('out/a.tok')).toBe('a b\n');
  });
});

describe('tool failures', () => {
  it('a failing tool exits 1, shows its stderr tail and command, and leaves the previous output intact', async () => {
    p = new Project({ 'pipeline.config.ts': CHECK_CONFIG, 'data/a.txt': 'good text\n' });
    expect((await p.cli(['build'])).code).toBe(0);
    expect(p.read('out/a.chk')).toBe('good text\n');
    const before = statSync(p.path('out/a.chk'));
    const filesBefore = projectFiles();
    p.takeRuns();

    p.write('data/a.txt', 'BAD text\n');
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        '^' +
          escape(
            [
              'FAILED check out/a.chk: exited with status 4; stderr (last 2 lines):',
              '    badword: reading document',
              '    badword: refusing a document that contains BAD',
              '  command: badword',
              'pipe: 0 up to date, 1 failed (',
            ].join('\n'),
          ) +
          '[^)]+\\) — build FAILED\\n$',
      ),
    );
    expect(p.takeRuns()).toEqual(['badword ']);
    // The old output is untouched: same bytes, same inode, same mtime; nothing half-written.
    expect(p.read('out/a.chk')).toBe('good text\n');
    const after = statSync(p.path('out/a.chk'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(projectFiles()).toEqual(filesBefore);
    expect(pipeTmp()).toEqual([]);

    // The failure was not recorded as a success: the next build tries again.
    const again = await p.cli(['build']);
    expect(again.code).toBe(1);
    expect(p.takeRuns()).toEqual(['badword ']);
    const why = await p.cli(['why', 'out/a.chk']);
    expect(why.stdout).toBe('out/a.chk is stale (rule check):\n  - input data/a.txt changed\n');

    p.write('data/a.txt', 'fixed text\n');
    const fixed = await p.cli(['build']);
    expect(fixed.code).toBe(0);
    expect(p.read('out/a.chk')).toBe('fixed text\n');
    expect(p.read('out/a.parse')).toBe('|2|fixed text\n');
  });

  it('without -k, the build stops at the first failure', async () => {
    p = new Project({ 'pipeline.config.ts': CHECK_CONFIG, 'data/a.txt': 'a BAD one\n', 'data/b.txt': 'a good one\n' });
    const r = await p.cli(['build', '-j', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED check out/a.chk: exited with status 4');
    expect(p.exists('out/a.chk')).toBe(false);
    expect(p.exists('out/b.parse')).toBe(false);
  });

  it('-k keeps building the documents that do not depend on the failure', async () => {
    p = new Project({ 'pipeline.config.ts': CHECK_CONFIG, 'data/a.txt': 'a BAD one\n', 'data/b.txt': 'a good one\n' });
    const r = await p.cli(['build', '-k', '-j', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAILED check out\/a\.chk: exited with status 4; stderr \(last 2 lines\):\n[^]*\npipe: 2 built, 0 up to date, 1 failed, 1 skipped \([^)]+\) — build FAILED\n$/);
    expect(r.stdout).toMatch(/^\[\d\/4\] check out\/b\.chk \S+\n\[\d\/4\] parse out\/b\.parse \S+\n$/);
    expect(p.read('out/b.chk')).toBe('a good one\n');
    expect(p.read('out/b.parse')).toBe('|3|a good one\n');
    expect(p.exists('out/a.chk')).toBe(false);
    expect(p.exists('out/a.parse')).toBe(false);
    expect(projectFiles()).toEqual(['data/a.txt', 'data/b.txt', 'out/b.chk', 'out/b.parse', 'pipeline.config.ts']);
    // The next build keeps what succeeded and retries only the failure.
    p.takeRuns();
    const again = await p.cli(['build', '-k']);
    expect(again.code).toBe(1);
    expect(p.takeRuns()).toEqual(['badword ']);
  });

  it('a tool that is not on PATH exits 1 and names the tool, the executable and the command', async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { lemma: { command: ['no-such-lemmatizer', '--fast'] } },
  rules: [{ name: 'lemmatize', input: 'data/{doc}.txt', output: 'out/{doc}.lem', tool: 'lemma' }],
};`,
      'data/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        '^' +
          escape(`FAILED lemmatize out/a.lem: tool 'lemma': executable 'no-such-lemmatizer' not found (searched PATH=${p.env()['PATH'] ?? ''})\n  command: no-such-lemmatizer --fast\npipe: 0 up to date, 1 failed (`) +
          '[^)]+\\) — build FAILED\\n$',
      ),
    );
    expect(p.exists('out')).toBe(false);
  });

  it('a tool given by a relative path that does not exist names the path searched', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'run', input: 'data/{doc}.txt', output: 'out/{doc}.o', command: ['bin/convert', '-q'] }] };\n",
      'data/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`FAILED run out/a.o: tool 'rule:run': executable 'bin/convert' not found (searched ${p.path('bin/convert')})\n  command: bin/convert -q\n`);
  });

  it("a tool's declared file that is missing exits 1 and names the tool and the file", async () => {
    p = new Project({
      'pipeline.config.ts': `export default {
  tools: { tok: { command: ['tok'], files: ['models/tok.model'] } },
  rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
};`,
      'data/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAILED tokenize out\/a\.tok: tool 'tok': declared file models\/tok\.model does not exist\n  command: tok\npipe: 0 up to date, 1 failed \([^)]+\) — build FAILED\n$/);
    expect(p.takeRuns()).toEqual([]);
    p.write('models/tok.model', 'm\n');
    expect((await p.cli(['build'])).code).toBe(0);
    expect(p.read('out/a.tok')).toBe('a\n');
  });

  it('a tool that succeeds without writing its {output} fails and names the output', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'lazy', input: 'data/{doc}.txt', output: 'out/{doc}.o', command: ['sh', '-c', 'exit 0', '{output}'] }] };\n",
      'data/a.txt': 'a\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED lazy out/a.o: the tool succeeded but did not write out/a.o\n');
    expect(p.exists('out/a.o')).toBe(false);
    expect(pipeTmp()).toEqual([]);
  });

  it("an output whose parent path is a regular file fails and names the output", async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'gen/tok/{doc}.tok', command: ['tok'] }] };\n",
      'data/a.txt': 'a\n',
      gen: 'I am a file, not a directory\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp('^' + escape(`FAILED tokenize gen/tok/a.tok: cannot write gen/tok/a.tok: ENOTDIR: not a directory, mkdir '${p.path('gen/tok')}'\n  command: tok\n`)),
    );
    expect(p.read('gen')).toBe('I am a file, not a directory\n');
    expect(pipeTmp()).toEqual([]);
  });

  it('an output path occupied by a directory fails and names the output; nothing is left behind', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', command: ['tok'] }] };\n",
      'data/a.txt': 'a\n',
      'out/a.tok/keep': 'k\n',
    });
    const r = await p.cli(['build']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAILED tokenize out\/a\.tok: cannot write out\/a\.tok: /);
    expect(p.read('out/a.tok/keep')).toBe('k\n');
    expect(projectFiles()).toEqual(['data/a.txt', 'out/a.tok/keep', 'pipeline.config.ts']);
    expect(pipeTmp()).toEqual([]);
  });

  it('a tool that times out is stopped promptly, even when it has children', async () => {
    p = new Project({
      'pipeline.config.ts': "export default { tools: { s: { command: ['slow'], timeoutMs: 300 } }, rules: [{ name: 'slowly', input: 'data/{doc}.txt', output: 'out/{doc}.slow', tool: 's' }] };\n",
      'data/a.txt': 'a\n',
    });
    // `slow` is a shell script whose `sleep` child keeps stdout open: the timeout must not
    // wait for it (300 s, far past the test's bound).
    let r: Awaited<ReturnType<Project['cli']>> | undefined;
    void p.cli(['build'], { SLOW_SECONDS: '300' }).then((x) => (r = x));
    const done = await waitFor('the build to stop its timed-out tool and exit', () => r, 30_000);
    expect(done.code).toBe(1);
    expect(done.stderr).toContain('FAILED slowly out/a.slow: timed out after 300 ms\n  command: slow\n');
    expect(p.exists('out/a.slow')).toBe(false);
  });
});

describe('interrupted builds', () => {
  function startBuild(env: Record<string, string>): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, [CLI, 'build'], { cwd: p.root, env: p.env(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) groups.push(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) => {
      child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
    });
    return { child, exited };
  }

  async function waitForRuns(n: number, timeoutMs = 20_000): Promise<void> {
    const log = (): string => (existsSync(p.log) ? readFileSync(p.log, 'utf8') : '');
    await waitFor(() => `the tool to start ${n} time(s); log: ${JSON.stringify(log())}`, () => log().split('\n').filter((l) => l.startsWith('slow')).length >= n, timeoutMs);
  }

  /** Waits until `n` temp outputs in .pipe/tmp hold the slow tool's first half. */
  async function waitForFirstHalves(n: number): Promise<void> {
    const holdsFirstHalf = (f: string): boolean => {
      try {
        return readFileSync(p.path(`.pipe/tmp/${f}`), 'utf8').startsWith('first half\n');
      } catch {
        return false; // a directory, or a temp renamed away meanwhile
      }
    };
    const halves = (): number => pipeTmp().filter(holdsFirstHalf).length;
    await waitFor(() => `${n} temp output(s) holding "first half"; .pipe/tmp: ${JSON.stringify(pipeTmp())}`, () => halves() >= n);
  }

  it('SIGKILL mid-build leaves no half-written output and no litter; the next build succeeds', async () => {
    p = new Project({ 'pipeline.config.ts': SLOW_CONFIG, 'data/a.txt': 'alpha v1\n' });
    expect((await p.cli(['build'], { SLOW_SECONDS: '0' })).code).toBe(0);
    expect(p.read('out/a.slow')).toBe('first half\nalpha v1\n');
    p.takeRuns();

    p.write('data/a.txt', 'alpha v2\n');
    p.write('data/b.txt', 'beta\n');
    const { child, exited } = startBuild({ SLOW_SECONDS: '30' });
    await waitForRuns(2);
    await waitForFirstHalves(2);
    process.kill(-(child.pid as number), 'SIGKILL');
    const end = await exited;
    expect(end.signal).toBe('SIGKILL');

    // Each output is absent or complete: a.slow is still the old complete output.
    expect(p.read('out/a.slow')).toBe('first half\nalpha v1\n');
    expect(p.exists('out/b.slow')).toBe(false);
    expect(projectFiles()).toEqual(['data/a.txt', 'data/b.txt', 'out/a.slow', 'pipeline.config.ts']);
    p.takeRuns();

    const next = await p.cli(['build'], { SLOW_SECONDS: '0' });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/\npipe: 2 built, 0 up to date \([^)]+\)\n$/);
    expect(p.read('out/a.slow')).toBe('first half\nalpha v2\n');
    expect(p.read('out/b.slow')).toBe('first half\nbeta\n');
    expect(projectFiles()).toEqual(['data/a.txt', 'data/b.txt', 'out/a.slow', 'out/b.slow', 'pipeline.config.ts']);
    // The dead process's temp files were swept.
    expect(pipeTmp()).toEqual([]);
    const fresh = await p.cli(['build'], { SLOW_SECONDS: '0' });
    expect(fresh.stdout).toMatch(/^pipe: 2 up to date \([^)]+\)\n$/);
  });

  it('SIGINT mid-build exits 130 promptly and cleans up its temp files', async () => {
    p = new Project({ 'pipeline.config.ts': SLOW_CONFIG, 'data/a.txt': 'alpha\n' });
    const { child, exited } = startBuild({ SLOW_SECONDS: '300' });
    await waitForRuns(1);
    await waitForFirstHalves(1);
    child.kill('SIGINT');
    // Promptly: long before the tool's 300 s sleep would end.
    let end: Awaited<typeof exited> | undefined;
    void exited.then((x) => (end = x));
    expect((await waitFor('the interrupted build to exit', () => end, 30_000)).code).toBe(130);
    expect(p.exists('out/a.slow')).toBe(false);
    expect(projectFiles()).toEqual(['data/a.txt', 'pipeline.config.ts']);
    expect(pipeTmp()).toEqual([]);
  });

  it('two builds started at once both succeed: the second waits for the store lock', async () => {
    p = new Project({ 'pipeline.config.ts': SLOW_CONFIG, 'data/a.txt': 'alpha\n', 'data/b.txt': 'beta\n' });
    const [r1, r2] = await Promise.all([p.cli(['build'], { SLOW_SECONDS: '1' }), p.cli(['build'], { SLOW_SECONDS: '1' })]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expect(p.read('out/a.slow')).toBe('first half\nalpha\n');
    expect(p.read('out/b.slow')).toBe('first half\nbeta\n');
    // One of them built both documents; the other found them up to date.
    const summaries = [r1, r2].map((r) => /pipe: (.*) \([^)]+\)\n$/.exec(r.stdout)?.[1]).sort();
    expect(summaries).toEqual(['2 built, 0 up to date', '2 up to date']);
    expect(p.takeRuns()).toEqual(['slow ', 'slow ']);
    expect(projectFiles()).toEqual(['data/a.txt', 'data/b.txt', 'out/a.slow', 'out/b.slow', 'pipeline.config.ts']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
