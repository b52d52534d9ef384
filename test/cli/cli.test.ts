// The real `pipe` CLI (dist/cli/main.js) on real temp projects: build, dry run, JSON events,
// why, status, clean, -C and explicit targets.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, pmbConfig, Project, type CliResult } from '../rig.js';

let p: Project;
const extraDirs: string[] = [];
afterEach(() => {
  p?.dispose();
  for (const d of extraDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const X_PARSE = 'v1|4|The cat sat .\n';
const Y_PARSE = 'v1|4|A dog barked .\n';

function setup(): Project {
  p = new Project({
    'pipeline.config.ts': pmbConfig(),
    'models/parse.model': 'v1\n',
    'data/x.txt': 'The  cat sat .\n',
    'data/y.txt': 'A dog barked .\n',
  });
  return p;
}

async function built(): Promise<Project> {
  setup();
  const r = await p.cli(['build']);
  expect(r, r.stderr).toMatchObject({ code: 0 });
  p.takeRuns();
  return p;
}

/** Runs the CLI with a cwd other than the project root. */
function cliIn(cwd: string, args: string[]): Promise<CliResult> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: p.env() }, (error, stdout, stderr) => {
      res({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

const kinds = (runs: string[]): string[] => runs.map((r) => r.split(' ')[0] ?? '').sort();
const ALL_OUTPUTS = ['out/corpus.stats', 'out/x.parse', 'out/x.tok', 'out/y.parse', 'out/y.tok'];

function expectAllOutputs(): void {
  expect(p.read('out/x.tok')).toBe('The cat sat .\n');
  expect(p.read('out/y.tok')).toBe('A dog barked .\n');
  expect(p.read('out/x.parse')).toBe(X_PARSE);
  expect(p.read('out/y.parse')).toBe(Y_PARSE);
  expect(p.read('out/corpus.stats')).toBe(`lines 2 bytes ${X_PARSE.length + Y_PARSE.length}\n`);
}

describe('pipe build', () => {
  it('prints one plain line per task and a summary, and exits 0', async () => {
    setup();
    const r = await p.cli(['build']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    const tasks = lines.slice(0, 5).map((l) => {
      const m = /^\[(\d)\/5\] (\S+) (\S+) \S+$/.exec(l);
      expect(m, l).not.toBeNull();
      return m as RegExpExecArray;
    });
    expect(tasks.map((m) => m[1])).toEqual(['1', '2', '3', '4', '5']);
    expect(tasks.map((m) => `${m[2]} ${m[3]}`).sort()).toEqual(['parse out/x.parse', 'parse out/y.parse', 'stats out/corpus.stats', 'tokenize out/x.tok', 'tokenize out/y.tok']);
    expect(tasks.at(-1)?.[2]).toBe('stats');
    expect(lines[5]).toMatch(/^pipe: 5 built, 0 up to date \([^)]+\)$/);
    expect(kinds(p.takeRuns())).toEqual(['parse', 'parse', 'stats', 'tok', 'tok']);
    expectAllOutputs();
  });

  it('a second build says everything is up to date and runs nothing', async () => {
    await built();
    const r = await p.cli(['build']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pipe: 5 up to date \([^)]+\)\n$/);
    expect(r.stderr).toBe('');
    expect(p.takeRuns()).toEqual([]);
  });

  it('--json emits one JSON object per line: plan, start/finish per task, done', async () => {
    setup();
    const r = await p.cli(['build', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const events = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; target?: string; rule?: string; outcome?: string; reasons?: string[]; counts?: Record<string, number>; ok?: boolean });
    expect(events[0]).toEqual({ type: 'plan', tasks: 5 });
    expect(events.at(-1)).toMatchObject({ type: 'done', ok: true, counts: { built: 5, fresh: 0, failed: 0, skipped: 0, restored: 0, 'would-run': 0 } });
    expect(events.map((e) => e.type).sort()).toEqual(['done', 'finish', 'finish', 'finish', 'finish', 'finish', 'plan', 'start', 'start', 'start', 'start', 'start']);
    const starts = events.filter((e) => e.type === 'start');
    expect(starts.map((e) => e.target).sort()).toEqual(ALL_OUTPUTS);
    for (const s of starts) expect(s.reasons).toContain('never built');
    for (const f of events.filter((e) => e.type === 'finish')) {
      expect(f.outcome).toBe('built');
      expect(events.findIndex((e) => e.type === 'start' && e.target === f.target)).toBeLessThan(events.indexOf(f));
    }
    // A dependant starts only after its dependency finished.
    const finishX = events.findIndex((e) => e.type === 'finish' && e.target === 'out/x.tok');
    expect(events.findIndex((e) => e.type === 'start' && e.target === 'out/x.parse')).toBeGreaterThan(finishX);

    const again = await p.cli(['build', '--json']);
    const lines = again.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((e) => e.type)).toEqual(['plan', 'done']);
    expect(lines[1]).toMatchObject({ ok: true, counts: { fresh: 5, built: 0 } });
  });

  it('-n runs nothing, writes nothing and prints what would run and why', async () => {
    await built();
    p.write('data/x.txt', 'The  cat sat down .\n');
    const r = await p.cli(['build', '-n']);
    expect(r.code).toBe(0);
    expect(p.takeRuns()).toEqual([]);
    expect(p.read('out/x.tok')).toBe('The cat sat .\n');
    expect(r.stdout).toMatch(
      new RegExp(
        '^' +
          [
            'would run tokenize out/x.tok: input data/x.txt changed',
            '  command: tok',
            'would run parse out/x.parse: upstream out/x.tok will be rebuilt',
            '  command: parse -m models/parse.model',
            'would run stats out/corpus.stats: upstream out/x.parse will be rebuilt',
            '  command: stats',
            'pipe: 3 would run, 2 up to date \\([^)]+\\)',
          ]
            .map((l) => l.replace(/[.|]/g, '\\$&'))
            .join('\n') +
          '\n$',
      ),
    );
    // The dry run left the state alone: a real build now runs exactly that chain.
    const b = await p.cli(['build']);
    expect(b.code).toBe(0);
    expect(kinds(p.takeRuns())).toEqual(['parse', 'stats', 'tok']);
  });

  it('-n on a never-built project creates no outputs', async () => {
    setup();
    const r = await p.cli(['build', '--dry-run']);
    expect(r.code).toBe(0);
    expect(p.takeRuns()).toEqual([]);
    expect(p.exists('out')).toBe(false);
    expect(r.stdout).toContain('would run tokenize out/x.tok: never built\n  command: tok\n');
    expect(r.stdout).toContain('would run parse out/y.parse: upstream out/y.tok will be rebuilt; never built\n');
    expect(r.stdout).toMatch(/\npipe: 5 would run, 0 up to date \([^)]+\)\n$/);
  });

  it('with no file matching any rule input, says so; a missing source directory is named and exits 1', async () => {
    p = new Project({ 'pipeline.config.ts': pmbConfig(), 'models/parse.model': 'v1\n' });
    const r = await p.cli(['build']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'pipe: nothing to build: no file matches any rule input (data/{doc}.txt, out/{doc}.tok, out/*.parse)\n' +
        'pipe: data/ does not exist (rule tokenize, input data/{doc}.txt); the closest existing directory is ./\n',
    });
  });

  it('-j must be a whole number >= 1', async () => {
    setup();
    const r = await p.cli(['build', '-j', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("expected a whole number >= 1, got '0'");
    expect(p.takeRuns()).toEqual([]);
  });

  it('build out/x.parse builds only that chain', async () => {
    setup();
    const r = await p.cli(['build', 'out/x.parse']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[1\/2\] tokenize out\/x\.tok \S+\n\[2\/2\] parse out\/x\.parse \S+\npipe: 2 built, 0 up to date \([^)]+\)\n$/);
    expect(p.takeRuns()).toEqual(['tok ', 'parse -m models/parse.model']);
    expect(p.read('out/x.parse')).toBe(X_PARSE);
    expect(readdirSync(p.path('out')).sort()).toEqual(['x.parse', 'x.tok']);
  });

  it('a directory target builds everything under it', async () => {
    setup();
    const r = await p.cli(['build', 'out/']);
    expect(r.code).toBe(0);
    expectAllOutputs();
  });

  it('a source file as target says so and builds nothing', async () => {
    setup();
    const r = await p.cli(['build', 'data/x.txt']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('pipe: data/x.txt is a source file; nothing to build\n');
    expect(p.takeRuns()).toEqual([]);
  });

  it('build out/nope.parse exits 1 and explains which input is missing, down the chain', async () => {
    setup();
    const r = await p.cli(['build', 'out/nope.parse']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        'pipe: cannot build out/nope.parse:',
        "  rule 'parse' could make out/nope.parse from out/nope.tok, but out/nope.tok is missing",
        "    rule 'tokenize' could make out/nope.tok from data/nope.txt, but data/nope.txt is missing",
        '',
      ].join('\n'),
    );
    expect(r.stdout).toBe('');
    expect(p.takeRuns()).toEqual([]);
    expect(p.exists('out')).toBe(false);
  });

  it('build out/typo.xyz exits 1 and lists the output patterns', async () => {
    setup();
    const r = await p.cli(['build', 'out/typo.xyz']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('pipe: cannot build out/typo.xyz:\n  no rule has an output pattern matching out/typo.xyz; output patterns: out/{doc}.tok, out/{doc}.parse, out/corpus.stats\n');
    expect(p.takeRuns()).toEqual([]);
  });

  it('a near-miss target lists the closest output patterns', async () => {
    setup();
    const r = await p.cli(['build', 'out/corpus.stat']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('pipe: cannot build out/corpus.stat:\n  no rule has an output pattern matching out/corpus.stat; closest patterns: out/corpus.stats\n');
  });

  it('an unknown target among known ones fails the whole command before anything runs', async () => {
    setup();
    const r = await p.cli(['build', 'out/x.parse', 'out/nope.parse']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pipe: cannot build out/nope.parse:\n');
    expect(p.takeRuns()).toEqual([]);
  });

  it('-C DIR builds the project in DIR from another cwd, with targets relative to the project', async () => {
    setup();
    const elsewhere = mkdtempSync(join(tmpdir(), 'docpipe-cwd-'));
    extraDirs.push(elsewhere);
    const r = await cliIn(elsewhere, ['build', '-C', p.root, 'out/x.parse']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('out/x.parse')).toBe(X_PARSE);
    expect(p.exists('out/y.parse')).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
    const all = await cliIn(elsewhere, ['build', '--directory', p.root]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/\npipe: 3 built, 2 up to date \([^)]+\)\n$/);
    expectAllOutputs();
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('targets given relative to a subdirectory cwd are resolved against the cwd', async () => {
    await built();
    p.write('data/y.txt', 'A dog barked twice .\n');
    const r = await cliIn(p.path('out'), ['build', '-C', '..', 'y.tok']);
    expect(r.code, r.stderr).toBe(0);
    expect(p.takeRuns()).toEqual(['tok ']);
    expect(p.read('out/y.tok')).toBe('A dog barked twice .\n');
    expect(p.read('out/y.parse')).toBe(Y_PARSE);
  });
});

describe('pipe why', () => {
  it('a fresh target is up to date, with its rule and build time', async () => {
    await built();
    const r = await p.cli(['why', 'out/x.parse']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^out\/x\.parse is up to date \(rule parse, built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\): its inputs, tool and command are unchanged and its outputs are intact\n$/);
    expect(p.takeRuns()).toEqual([]);
  });

  it('after an input edit names the changed input, directly and upstream', async () => {
    await built();
    p.write('data/x.txt', 'The dog sat .\n');
    const own = await p.cli(['why', 'out/x.tok']);
    expect(own).toMatchObject({ code: 0, stdout: 'out/x.tok is stale (rule tokenize):\n  - input data/x.txt changed\n' });
    const down = await p.cli(['why', 'out/x.parse']);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('out/x.parse is stale (rule parse):\n  - upstream tokenize out/x.tok: input data/x.txt changed\n  - upstream out/x.tok will be rebuilt\n');
    // why is a dry run: nothing ran, nothing changed.
    expect(p.takeRuns()).toEqual([]);
    expect(p.read('out/x.tok')).toBe('The cat sat .\n');
    const other = await p.cli(['why', 'out/y.parse']);
    expect(other.stdout).toMatch(/^out\/y\.parse is up to date /);
  });

  it('after a model edit names the tool file', async () => {
    await built();
    p.write('models/parse.model', 'v2\n');
    const r = await p.cli(['why', 'out/y.parse']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('out/y.parse is stale (rule parse):\n  - tool file models/parse.model changed\n');
    const tok = await p.cli(['why', 'out/y.tok']);
    expect(tok.stdout).toMatch(/^out\/y\.tok is up to date /);
  });

  it('after a command-line change shows the old and new command', async () => {
    await built();
    p.write('pipeline.config.ts', pmbConfig({ tokArgs: ['--flag'] }));
    const r = await p.cli(['why', 'out/x.tok']);
    expect(r.stdout).toBe('out/x.tok is stale (rule tokenize):\n  - command line changed: was ["tok"], now ["tok","--flag"]\n');
  });

  it('after deleting an output says it is missing', async () => {
    await built();
    p.remove('out/x.tok');
    const r = await p.cli(['why', 'out/x.tok']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('out/x.tok is stale (rule tokenize):\n  - output out/x.tok is missing\n');
  });

  it('after hand-editing an output says it was modified', async () => {
    await built();
    p.write('out/x.parse', 'vandalised\n');
    const r = await p.cli(['why', 'out/x.parse']);
    expect(r.stdout).toBe('out/x.parse is stale (rule parse):\n  - output out/x.parse was modified since it was built\n');
  });

  it('downstream of a deleted output, does not claim the missing input changed', async () => {
    await built();
    p.remove('out/x.tok');
    const r = await p.cli(['why', 'out/x.parse']);
    expect(r.code).toBe(0);
    // out/x.tok is missing, not changed: it will be rebuilt from unchanged inputs (or restored
    // from the cache), so the only reasons are upstream ones.
    expect(r.stdout).toBe('out/x.parse is stale (rule parse):\n  - upstream tokenize out/x.tok: output out/x.tok is missing\n  - upstream out/x.tok will be rebuilt\n');
  });

  it('a never-built target says never built, for itself and upstream', async () => {
    setup();
    const r = await p.cli(['why', 'out/x.parse']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('out/x.parse is stale (rule parse):\n  - upstream tokenize out/x.tok: never built\n  - upstream out/x.tok will be rebuilt\n  - never built\n');
    expect(p.exists('out')).toBe(false);
  });

  it('--json lists every stale task in the closure with its reasons', async () => {
    await built();
    p.write('data/x.txt', 'The dog sat .\n');
    const r = await p.cli(['why', '--json', 'out/x.parse']);
    expect(JSON.parse(r.stdout)).toEqual({
      target: 'out/x.parse',
      rule: 'parse',
      stale: [
        { rule: 'tokenize', target: 'out/x.tok', reasons: ['input data/x.txt changed'] },
        { rule: 'parse', target: 'out/x.parse', reasons: ['upstream out/x.tok will be rebuilt'] },
      ],
    });
  });

  it('a source file is a source; an unknown target exits 1 with the explanation', async () => {
    setup();
    const src = await p.cli(['why', 'data/x.txt']);
    expect(src).toMatchObject({ code: 0, stdout: 'data/x.txt is a source file: no rule builds it\n' });
    const nope = await p.cli(['why', 'out/nope.tok']);
    expect(nope.code).toBe(1);
    expect(nope.stderr).toBe("pipe: no task builds out/nope.tok:\n  rule 'tokenize' could make out/nope.tok from data/nope.txt, but data/nope.txt is missing\n");
  });
});

describe('pipe status', () => {
  const header = 'rule      fresh  stale  missing  blocked';

  it('counts fresh, stale and missing outputs per rule', async () => {
    setup();
    const before = await p.cli(['status']);
    expect(before).toMatchObject({
      code: 0,
      stdout: [header, 'tokenize      0      0        2        0', 'parse         0      0        2        0', 'stats         0      0        1        0', ''].join('\n'),
    });
    await p.cli(['build']);
    const after = await p.cli(['status']);
    expect(after.stdout).toBe([header, 'tokenize      2      0        0        0', 'parse         2      0        0        0', 'stats         1      0        0        0', ''].join('\n'));
    p.write('data/x.txt', 'The dog sat .\n');
    p.remove('out/y.parse');
    p.takeRuns();
    const mixed = await p.cli(['status']);
    expect(mixed.stdout).toBe([header, 'tokenize      1      1        0        0', 'parse         0      1        1        0', 'stats         0      1        0        0', ''].join('\n'));
    expect(p.takeRuns()).toEqual([]);
  });

  it('counts tasks blocked by a tool that cannot run, and lists orphans', async () => {
    await built();
    p.write('pipeline.config.ts', pmbConfig().replace("command: ['stats']", "command: ['no-such-stats-tool']"));
    p.remove('data/y.txt');
    const r = await p.cli(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        header,
        'tokenize      1      0        0        0',
        'parse         1      0        0        0',
        'stats         0      0        0        1',
        '2 orphaned output(s) whose source is gone (pipe clean --orphans removes them): out/y.parse, out/y.tok',
        '',
      ].join('\n'),
    );
    const json = await p.cli(['status', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      rules: {
        tokenize: { fresh: 1, stale: 0, missing: 0, blocked: 0 },
        parse: { fresh: 1, stale: 0, missing: 0, blocked: 0 },
        stats: { fresh: 0, stale: 0, missing: 0, blocked: 1 },
      },
      orphans: ['out/y.parse', 'out/y.tok'],
    });
  });
});

describe('pipe clean', () => {
  it('removes every output; the next build brings them back (from the cache)', async () => {
    await built();
    const r = await p.cli(['clean']);
    expect(r).toMatchObject({ code: 0, stdout: 'pipe: removed 5 output(s)\n' });
    for (const o of ALL_OUTPUTS) expect(p.exists(o), o).toBe(false);
    expect(p.exists('data/x.txt')).toBe(true);
    const status = await p.cli(['status']);
    expect(status.stdout).toContain('tokenize      0      0        2        0');
    const b = await p.cli(['build']);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/\npipe: 5 restored from cache, 0 up to date \([^)]+\)\n$/);
    expect(p.takeRuns()).toEqual([]);
    expectAllOutputs();
  });

  it('with --no-cache, the build after clean runs every tool', async () => {
    await built();
    await p.cli(['clean']);
    const b = await p.cli(['build', '--no-cache']);
    expect(b.stdout).toMatch(/\npipe: 5 built, 0 up to date \([^)]+\)\n$/);
    expect(kinds(p.takeRuns())).toEqual(['parse', 'parse', 'stats', 'tok', 'tok']);
    expectAllOutputs();
  });

  it('a target removes only the outputs under it', async () => {
    await built();
    const r = await p.cli(['clean', 'out/x.parse']);
    expect(r.stdout).toBe('pipe: removed 1 output(s)\n');
    expect(p.exists('out/x.parse')).toBe(false);
    expect(p.exists('out/x.tok')).toBe(true);
    expect(p.exists('out/corpus.stats')).toBe(true);
  });

  it('removes orphans whose source is gone', async () => {
    await built();
    p.remove('data/y.txt');
    const r = await p.cli(['clean', 'out/y.tok', 'out/y.parse']);
    expect(r.stdout).toBe('pipe: removed 2 output(s)\n');
    expect(p.exists('out/y.tok')).toBe(false);
    expect(p.exists('out/y.parse')).toBe(false);
    const s = await p.cli(['status']);
    expect(s.stdout).not.toContain('orphaned');
  });

  it('--cache empties the cache: reverting an input afterwards runs the tools again', async () => {
    await built();
    p.write('data/x.txt', 'Changed text .\n');
    await p.cli(['build']);
    const c = await p.cli(['clean', '--cache']);
    expect(c).toMatchObject({ code: 0, stdout: 'pipe: removed 5 output(s) and emptied the cache\n' });
    expect(p.exists('.pipe/cache/blobs')).toBe(false);
    p.write('data/x.txt', 'The  cat sat .\n');
    p.takeRuns();
    const b = await p.cli(['build']);
    expect(b.code).toBe(0);
    expect(b.stdout).not.toContain('restored');
    expect(b.stdout).toMatch(/\npipe: 5 built, 0 up to date \([^)]+\)\n$/);
    expect(kinds(p.takeRuns())).toEqual(['parse', 'parse', 'stats', 'tok', 'tok']);
    expectAllOutputs();
  });

  it('control: without --cache, the same revert restores from the cache', async () => {
    await built();
    p.write('data/x.txt', 'Changed text .\n');
    await p.cli(['build']);
    await p.cli(['clean']);
    p.write('data/x.txt', 'The  cat sat .\n');
    p.takeRuns();
    const b = await p.cli(['build']);
    expect(b.stdout).toMatch(/\npipe: 5 restored from cache, 0 up to date \([^)]+\)\n$/);
    expect(p.takeRuns()).toEqual([]);
    expectAllOutputs();
  });
});
