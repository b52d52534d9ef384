#!/usr/bin/env node
// bench/run.mjs: time docpipe's `pipe build` against make and ninja on the reference
// workload of ../shared/bench/gen.py, check that each tool really did (or did not do) the
// work, and write a markdown table to bench/results/latest.md. Node builtins only.
//
//   node bench/run.mjs [--docs 10000] [--runs 5] [--only noop,change,warm] [--jobs 2]
//                      [--warm-docs 100] [--warm-large 1000] [--timeout 1800] [--gen PATH]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(REPO, 'bench', 'work');
const RESULTS = path.join(REPO, 'bench', 'results');
const TIME_BIN = '/usr/bin/time';
const SCENARIOS = ['noop', 'change', 'warm'];
const TOOLS = ['make', 'ninja', 'pipe'];

// ---------------------------------------------------------------- options

const USAGE = `usage: node bench/run.mjs [options]
  --docs N         documents for the noop/change scenarios (FAST tools)   default 10000
  --runs R         timed runs per measurement (median and min reported)    default 5
  --only LIST      scenarios to run, comma-separated: ${SCENARIOS.join(',')}  default all
  --jobs J         parallelism passed to make -j, ninja -j, pipe build -j  default 2
  --warm-docs N    documents for the warm scenario (slow Python tools)     default 100
  --warm-large N   extra warm full build, pipe only (0 = skip)             default 1000
  --startup S      TOOL_STARTUP seconds of the slow tools                  default 0.5
  --timeout S      give up on one command after S seconds                  default 1800
  --gen PATH       reference generator                default ../shared/bench/gen.py
  --pipe-cli PATH  the docpipe CLI to time                  default dist/cli/main.js
  --no-pipe        leave docpipe out (make and ninja only)`;

function parseArgs(argv) {
  const o = {
    docs: 10000, runs: 5, only: [...SCENARIOS], jobs: 2, warmDocs: 100, warmLarge: 1000,
    startup: '0.5', timeout: 1800, gen: path.resolve(REPO, '..', 'shared', 'bench', 'gen.py'), pipe: true,
    pipeCli: path.join(REPO, 'dist', 'cli', 'main.js'),
  };
  const int = (flag, v) => {
    if (!/^\d+$/.test(v ?? '')) fail(`${flag} expects a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const next = () => inline ?? argv[++i];
    switch (flag) {
      case '--docs': o.docs = int(flag, next()); break;
      case '--runs': o.runs = Math.max(1, int(flag, next())); break;
      case '--jobs': case '-j': o.jobs = Math.max(1, int(flag, next())); break;
      case '--warm-docs': o.warmDocs = int(flag, next()); break;
      case '--warm-large': o.warmLarge = int(flag, next()); break;
      case '--timeout': o.timeout = int(flag, next()); break;
      case '--startup': {
        const v = next();
        if (!/^\d+(\.\d+)?$/.test(v ?? '')) fail(`--startup expects seconds, got ${JSON.stringify(v)}`);
        o.startup = v; break;
      }
      case '--gen': o.gen = path.resolve(next() ?? fail('--gen expects a path')); break;
      case '--pipe-cli': o.pipeCli = path.resolve(next() ?? fail('--pipe-cli expects a path')); break;
      case '--no-pipe': o.pipe = false; break;
      case '--only': {
        const list = (next() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((s) => !SCENARIOS.includes(s));
        if (bad.length || !list.length) fail(`--only expects some of ${SCENARIOS.join(',')}, got ${JSON.stringify(list.join(','))}`);
        o.only = list; break;
      }
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: fail(`unknown option ${JSON.stringify(a)}\n${USAGE}`);
    }
  }
  return o;
}

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------- running commands

const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const child of running) killGroup(child);
    for (const dir of pipeDirs) {
      if (fs.existsSync(path.join(dir, '.pipe', 'daemon.json'))) spawnSync(process.execPath, [PIPE_CLI, 'stop'], { cwd: dir, timeout: 10000 });
    }
    process.exit(130);
  });
}

function killGroup(child) {
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** Tail-keeping buffer so a 20,000-line make log does not fill memory. */
function tailCollector(limit = 64 * 1024) {
  let chunks = [], size = 0, lines = 0;
  return {
    push(b) {
      for (const c of b) if (c === 10) lines++;
      chunks.push(b); size += b.length;
      while (size - chunks[0].length > limit) size -= chunks.shift().length;
    },
    text: () => Buffer.concat(chunks).toString('utf8').slice(-limit),
    lines: () => lines,
  };
}

let haveTime = null;
/**
 * Run argv in cwd with env, in its own process group (killed whole on timeout), under
 * /usr/bin/time for max RSS. Returns wall time (ms, measured here), exit, output tails.
 */
function run(argv, { cwd, env = {}, timeoutS }) {
  haveTime ??= fs.existsSync(TIME_BIN);
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const full = haveTime ? [TIME_BIN, '-f', '%M', '-o', rssFile, ...argv] : argv;
  return new Promise((resolve) => {
    const out = tailCollector(), err = tailCollector();
    const t0 = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), {
      cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; killGroup(child); }, timeoutS * 1000);
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    const finish = (code, signal, spawnError) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      running.delete(child);
      let rssKb = null;
      try {
        const last = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop();
        if (/^\d+$/.test(last)) rssKb = Number(last);
        fs.rmSync(rssFile, { force: true });
      } catch { /* no /usr/bin/time output */ }
      resolve({
        argv, cwd, code, signal, timedOut, wallMs, rssKb, spawnError,
        stdout: out.text(), stderr: err.text(), stdoutLines: out.lines(),
        ok: code === 0 && !timedOut && !spawnError,
      });
    };
    child.on('error', (e) => finish(null, null, e.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function mustRun(argv, opts) {
  const r = spawnSync(argv[0], argv.slice(1), { ...opts, encoding: 'utf8', env: { ...process.env, ...(opts.env ?? {}) } });
  if (r.status !== 0) fail(`${argv.join(' ')} failed (exit ${r.status}):\n${r.stderr || r.error?.message || ''}`);
  return r.stdout;
}

function version(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0].trim() : 'unavailable';
}

// ---------------------------------------------------------------- file checks

/** name -> "size:mtimeNs" for every file in dir/out. */
function snapshot(dir) {
  const outDir = path.join(dir, 'out');
  const snap = new Map();
  for (const name of fs.existsSync(outDir) ? fs.readdirSync(outDir) : []) {
    const st = fs.statSync(path.join(outDir, name), { bigint: true });
    if (st.isFile()) snap.set(name, `${st.size}:${st.mtimeNs}`);
  }
  return snap;
}

function diffSnapshots(before, after) {
  const changed = [];
  for (const [k, v] of after) if (before.get(k) !== v) changed.push(before.has(k) ? k : `+${k}`);
  for (const k of before.keys()) if (!after.has(k)) changed.push(`-${k}`);
  return changed.sort();
}

/** Names of files in a/out whose content differs from b/out (or are missing there). */
function compareOutputs(a, b, names) {
  const diffs = [];
  for (const n of names) {
    const pa = path.join(a, 'out', n), pb = path.join(b, 'out', n);
    if (!fs.existsSync(pb)) { diffs.push(`${n} (missing)`); continue; }
    if (!fs.readFileSync(pa).equals(fs.readFileSync(pb))) diffs.push(n);
  }
  return diffs;
}

const docName = (i) => String(i).padStart(5, '0');
const expectedOutputs = (n) => Array.from({ length: n }, (_, i) => [`${docName(i + 1)}.tok`, `${docName(i + 1)}.parse`]).flat();

// ---------------------------------------------------------------- statistics and formatting

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtMs = (ms) => (ms == null ? '–' : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);
const fmtMb = (kb) => (kb == null ? '' : `${(kb / 1024).toFixed(0)} MB`);

/** A measured cell: {times:[ms], rss:[kb]} or {error:'...'} or null (not measured). */
function cellText(c) {
  if (!c) return '–';
  if (c.error) return `FAIL: ${c.error}`;
  const parts = [fmtMs(median(c.times))];
  const extra = [];
  if (c.times.length > 1) extra.push(`min ${fmtMs(Math.min(...c.times))}`);
  if (c.rss?.length) extra.push(fmtMb(Math.max(...c.rss)));
  if (c.daemonKb) extra.push(`daemon ${fmtMb(c.daemonKb)}`);
  if (c.note) extra.push(c.note);
  return extra.length ? `${parts[0]} (${extra.join(', ')})` : parts[0];
}

function ratio(a, b) {
  if (!a || !b || a.error || b.error || !a.times?.length || !b.times?.length) return '–';
  return `${(median(a.times) / median(b.times)).toFixed(2)}×`;
}

// ---------------------------------------------------------------- the bench

const opts = parseArgs(process.argv.slice(2));
if (!fs.existsSync(opts.gen)) {
  fail(`reference generator not found at ${opts.gen}\n(expected ../shared/bench/gen.py beside the repository; pass --gen PATH)`);
}
const PIPE_CLI = opts.pipeCli;
const pipeReady = opts.pipe && fs.existsSync(PIPE_CLI);
const pipeMissingWhy = !opts.pipe ? 'left out (--no-pipe)' : `not built (${path.relative(REPO, PIPE_CLI)} missing; run npx tsc -p tsconfig.json)`;

const toolArgv = {
  make: ['make', `-j${opts.jobs}`],
  ninja: ['ninja', `-j${opts.jobs}`],
  pipe: [process.execPath, PIPE_CLI, 'build', '-j', String(opts.jobs)],
  'pipe-nd': [process.execPath, PIPE_CLI, 'build', '-j', String(opts.jobs), '--no-daemon'],
};
/** Whether this pipe has a daemon that --no-daemon bypasses (then both modes are timed). */
const pipeHasNoDaemon = pipeReady &&
  /--no-daemon/.test(spawnSync(process.execPath, [PIPE_CLI, 'build', '--help'], { encoding: 'utf8' }).stdout ?? '');
const activeTools = TOOLS.filter((t) => t !== 'pipe' || pipeReady);

/** Checks that a build which should have done nothing said so (beyond the mtime check). */
const noopMessage = {
  make: (r) => /Nothing to be done/.test(r.stdout + r.stderr) || 'make did not say "Nothing to be done"',
  ninja: (r) => /no work to do/.test(r.stdout + r.stderr) || 'ninja did not say "no work to do"',
  pipe: () => true, // no agreed message yet: the out/ snapshot decides
};

const rows = [];        // {scenario, workload, cells: {make, ninja, pipe}}
const notes = [];       // lines for the details section
const problems = [];    // failures and surprises, mostly for the pipe CLI
const pipeDirs = [];    // to stop any daemon at the end

function lastLines(text, n = 3) {
  return text.trim().split('\n').slice(-n).join(' ⏎ ') || '(no output)';
}

function describeFailure(tool, what, r) {
  const why = r.spawnError ? `could not start: ${r.spawnError}` : r.timedOut ? `timed out after ${opts.timeout} s` : `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`;
  problems.push(`**${tool}, ${what}**: \`${r.argv.join(' ')}\` in \`${path.relative(REPO, r.cwd)}\` — ${why}\n` +
    '```\n' + (`${r.stdout.trim().split('\n').slice(-15).join('\n')}\n${r.stderr.trim().split('\n').slice(-25).join('\n')}`).trim() + '\n```');
  return why;
}

async function fullBuild(tool, dir, env, what, expectNames) {
  log(`${what}: ${tool} full build in ${path.relative(REPO, dir)}`);
  const before = snapshot(dir);
  const r = await run(toolArgv[tool], { cwd: dir, env, timeoutS: opts.timeout });
  if (!r.ok) return { error: describeFailure(tool, what, r) };
  const after = snapshot(dir);
  const missing = expectNames.filter((n) => !after.has(n));
  if (missing.length) {
    problems.push(`**${tool}, ${what}**: exit 0 but ${missing.length} of ${expectNames.length} expected outputs missing (e.g. out/${missing.slice(0, 3).join(', out/')}); last output: ${lastLines(r.stdout + r.stderr)}`);
    return { error: `${missing.length} outputs missing` };
  }
  log(`  ${fmtMs(r.wallMs)}, ${fmtMb(r.rssKb)}, ${diffSnapshots(before, after).length} files written`);
  if (tool === 'pipe') notes.push(`pipe ${what}, last output lines: \`${lastLines(r.stdout + r.stderr)}\``);
  return { times: [r.wallMs], rss: r.rssKb == null ? [] : [r.rssKb] };
}

function toolLogCounts(file) {
  const counts = {};
  if (!fs.existsSync(file)) return counts;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [kind, name] = line.split(' ');
    if (kind) counts[`${kind} ${name}`] = (counts[`${kind} ${name}`] ?? 0) + 1;
  }
  return counts;
}

function generate(n, dir, env) {
  log(`generating ${n} documents in ${path.relative(REPO, dir)} (${env.FAST ? 'FAST tools' : 'slow tools'})`);
  mustRun(['python3', opts.gen, String(n), dir], { env });
}

function copies(src, prefix, tools) {
  const dirs = {};
  for (const t of tools) {
    dirs[t] = path.join(WORK, `${prefix}-${t}`);
    mustRun(['cp', '-a', src, dirs[t]], {});
    if (t === 'pipe') pipeDirs.push(dirs[t]);
  }
  return dirs;
}

// -- scenario noop + change: FAST tools, N docs, bookkeeping only
async function fastScenarios() {
  const n = opts.docs;
  const src = path.join(WORK, 'fast-src');
  generate(n, src, { FAST: '1' });
  const dirs = copies(src, 'fast', activeTools);
  if (dirs.pipe) dirs['pipe-nd'] = dirs.pipe; // the --no-daemon variant shares pipe's copy
  const names = expectedOutputs(n);
  const full = {};
  for (const t of activeTools) full[t] = await fullBuild(t, dirs[t], {}, `full build ${n} docs FAST`, names);
  if (full.pipe && !full.pipe.error) noteDaemon(full.pipe, dirs.pipe);
  rows.push({ scenario: 'full build', workload: `${n} docs (${2 * n} outputs), FAST tools, -j${opts.jobs}`, cells: full });
  const good = activeTools.filter((t) => !full[t].error);
  for (const t of good.filter((t) => t !== 'make')) {
    const diffs = compareOutputs(dirs.make ?? dirs[good[0]], dirs[t], names);
    if (diffs.length) problems.push(`**${t}, full build FAST**: ${diffs.length} outputs differ from make's (e.g. ${diffs.slice(0, 3).join(', ')})`);
    else notes.push(`full build FAST: ${t}'s ${names.length} outputs are byte-identical to make's.`);
  }
  const workload = `${n} docs (${2 * n} outputs), FAST tools`;
  const kinds = ['noop', 'change'].filter((k) => opts.only.includes(k));
  const label = { noop: 'no-op', change: 'one input changed' };
  const cells = { noop: {}, change: {} };
  // Daemon mode (pipe's default) first, for every selected kind; then `--no-daemon`, which
  // stops the daemon, so it must come after everything that should find one running.
  let changeRun = 0;
  for (const kind of kinds) changeRun = await timedRuns(kind, good, dirs, cells[kind], changeRun);
  for (const kind of kinds) if (cells[kind].pipe && !cells[kind].pipe.error) noteDaemon(cells[kind].pipe, dirs.pipe);
  if (good.includes('pipe') && pipeHasNoDaemon) {
    for (const kind of kinds) changeRun = await timedRuns(kind, ['pipe-nd'], dirs, cells[kind], changeRun);
  }
  for (const kind of kinds) {
    const c = cells[kind];
    for (const t of Object.keys(c)) notes.push(`${label[kind]} ${t === 'pipe-nd' ? 'pipe --no-daemon' : t}, all runs: ${c[t].times.map(fmtMs).join(', ')}`);
    rows.push({ scenario: label[kind], workload, cells: { ...c, ...errorsOf(full) } });
    if (c['pipe-nd']) {
      rows.push({ scenario: `${label[kind]}, pipe --no-daemon`, workload, cells: { make: c.make, ninja: c.ninja, pipe: c['pipe-nd'] } });
    }
  }
}

/** R interleaved runs of `kind` ('noop' | 'change') for each tool; returns the next change-run number. */
async function timedRuns(kind, tools, dirs, cells, changeRun) {
  const n = opts.docs;
  const base = (t) => (t === 'pipe-nd' ? 'pipe' : t);
  for (const t of tools) cells[t] ??= kind === 'noop' ? { times: [], rss: [] } : { times: [] };
  for (let i = 0; i < opts.runs; i++) {
    const k = changeRun + i;
    const doc = docName(Math.max(1, Math.floor(((k + 1) * n) / (2 * opts.runs + 1))));
    const word = `benchword${k + 1}`;
    for (const t of tools) {
      const c = cells[t];
      if (c.error) continue;
      const what = `${kind === 'noop' ? 'no-op' : 'one-input-changed'} run ${i + 1}${t === 'pipe-nd' ? ' (--no-daemon)' : ''}`;
      const before = snapshot(dirs[t]);
      if (kind === 'change') fs.appendFileSync(path.join(dirs[t], 'data', `${doc}.txt`), `${word}\n`);
      const r = await run(toolArgv[t], { cwd: dirs[t], timeoutS: opts.timeout });
      if (!r.ok) { c.error = describeFailure(base(t), what, r); continue; }
      const changed = diffSnapshots(before, snapshot(dirs[t]));
      const said = r.stdout + r.stderr;
      if (kind === 'noop') {
        if (changed.length) {
          problems.push(`**${base(t)}, ${what}**: touched ${changed.length} files in out/ (e.g. ${changed.slice(0, 5).join(', ')}); output: ${lastLines(said)}`);
          c.note = 'NOT a no-op';
        }
        const ok = noopMessage[base(t)](r);
        if (ok !== true) problems.push(`**${base(t)}, ${what}**: ${ok}; output: ${lastLines(said)}`);
        if (r.rssKb != null) c.rss.push(r.rssKb);
      } else {
        const parse = fs.readFileSync(path.join(dirs[t], 'out', `${doc}.parse`), 'utf8');
        const expected = [`${doc}.parse`, `${doc}.tok`];
        if (!parse.includes(word)) {
          problems.push(`**${base(t)}, ${what}**: out/${doc}.parse does not contain the appended "${word}"; files changed: ${changed.join(', ') || 'none'}; output: ${lastLines(said)}`);
          c.note = 'WRONG output';
        } else if (changed.join() !== expected.join()) {
          problems.push(`**${base(t)}, ${what}**: expected exactly out/${doc}.tok and out/${doc}.parse to change, got ${changed.length}: ${changed.slice(0, 6).join(', ')}`);
        }
      }
      if (base(t) === 'pipe' && i === 0) notes.push(`pipe${t === 'pipe-nd' ? ' --no-daemon' : ''} ${kind === 'noop' ? 'no-op' : 'one-input-changed'} output: \`${lastLines(said)}\``);
      c.times.push(r.wallMs);
      log(`${what} ${t}${kind === 'change' ? ` (${doc})` : ''}: ${fmtMs(r.wallMs)} ${kind === 'noop' ? fmtMb(r.rssKb) : ''}${changed.length && kind === 'noop' ? ` — ${changed.length} files changed!` : ''}`);
    }
  }
  return kind === 'change' ? changeRun + opts.runs : changeRun;
}

/** Peak RSS of the project's daemon (VmHWM from /proc), if one is running for dir. */
function daemonPeakKb(dir) {
  try {
    const { pid } = JSON.parse(fs.readFileSync(path.join(dir, '.pipe', 'daemon.json'), 'utf8'));
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) return null;
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function noteDaemon(cell, dir) {
  const kb = daemonPeakKb(dir);
  if (kb != null) cell.daemonKb = Math.max(cell.daemonKb ?? 0, kb);
}

function errorsOf(cells) {
  return Object.fromEntries(Object.entries(cells).filter(([, c]) => c.error));
}

// -- scenario warm: slow Python tools (TOOL_STARTUP s start-up), warm: true for pipe
async function warmScenario() {
  const n = opts.warmDocs;
  const src = path.join(WORK, 'warm-src');
  generate(n, src, {});
  const dirs = copies(src, 'warm', activeTools);
  const names = expectedOutputs(n);
  const cells = {};
  for (const t of activeTools) {
    const toolLog = path.join(dirs[t], 'tools.log');
    cells[t] = await fullBuild(t, dirs[t], { TOOL_STARTUP: opts.startup, TOOL_LOG: toolLog }, `full build ${n} docs warm`, names);
    const counts = toolLogCounts(toolLog);
    const starts = `${counts['start tokenize'] ?? 0}+${counts['start parse'] ?? 0}`;
    notes.push(`warm full build, ${t}: tool starts tokenize+parse = ${starts}, records ${counts['rec tokenize'] ?? 0}+${counts['rec parse'] ?? 0}`);
    if (!cells[t].error) cells[t].note = `${starts} starts`;
    if (t === 'pipe' && !cells[t].error) noteDaemon(cells[t], dirs[t]);
  }
  if (!cells.make?.error && dirs.make) {
    for (const t of activeTools.filter((t) => t !== 'make' && !cells[t].error)) {
      const diffs = compareOutputs(dirs.make, dirs[t], names);
      if (diffs.length) {
        problems.push(`**${t}, warm full build**: ${diffs.length} outputs differ from make's (e.g. ${diffs.slice(0, 3).join(', ')})`);
        cells[t].note = `${cells[t].note}, ${diffs.length} outputs differ`;
      } else notes.push(`warm full build: ${t}'s ${names.length} outputs are byte-identical to make's.`);
    }
  }
  rows.push({ scenario: 'full build, slow tools', workload: `${n} docs, ${opts.startup} s start-up, -j${opts.jobs}`, cells });

  // one input changed with slow tools: the price of two cold starts vs a warm pool
  const changeCells = {};
  for (const t of activeTools.filter((t) => !cells[t].error)) {
    changeCells[t] = { times: [] };
    for (let i = 0; i < opts.runs; i++) {
      const doc = docName(Math.max(1, Math.floor(((i + 1) * n) / (opts.runs + 1))));
      fs.appendFileSync(path.join(dirs[t], 'data', `${doc}.txt`), `Warmword${i + 1} here.\n`);
      const r = await run(toolArgv[t], { cwd: dirs[t], env: { TOOL_STARTUP: opts.startup }, timeoutS: opts.timeout });
      if (!r.ok) { changeCells[t] = { error: describeFailure(t, `warm one-input-changed run ${i + 1}`, r) }; break; }
      if (!fs.readFileSync(path.join(dirs[t], 'out', `${doc}.parse`), 'utf8').includes(`Warmword${i + 1}`)) {
        problems.push(`**${t}, warm one-input-changed run ${i + 1}**: out/${doc}.parse lacks the appended line`);
        changeCells[t].note = 'WRONG output';
      }
      changeCells[t].times.push(r.wallMs);
      log(`warm one-input-changed ${t} run ${i + 1}: ${fmtMs(r.wallMs)}`);
    }
  }
  if (changeCells.pipe && !changeCells.pipe.error) noteDaemon(changeCells.pipe, dirs.pipe);
  rows.push({ scenario: 'one input changed, slow tools', workload: `${n} docs, ${opts.startup} s start-up`, cells: { ...changeCells, ...errorsOf(cells) } });

  if (pipeReady && opts.warmLarge > 0) {
    const big = path.join(WORK, 'warm-large-pipe');
    generate(opts.warmLarge, big, {});
    pipeDirs.push(big);
    const toolLog = path.join(big, 'tools.log');
    const c = await fullBuild('pipe', big, { TOOL_STARTUP: opts.startup, TOOL_LOG: toolLog }, `full build ${opts.warmLarge} docs warm`, expectedOutputs(opts.warmLarge));
    const counts = toolLogCounts(toolLog);
    if (!c.error) c.note = `${counts['start tokenize'] ?? 0}+${counts['start parse'] ?? 0} starts`;
    if (!c.error) noteDaemon(c, big);
    const est = ((opts.warmLarge * 2 * Number(opts.startup)) / opts.jobs).toFixed(0);
    rows.push({ scenario: 'full build, slow tools', workload: `${opts.warmLarge} docs, ${opts.startup} s start-up, pipe only (cold floor ≈ ${est} s)`, cells: { pipe: c } });
  }
}

// ---------------------------------------------------------------- report

function report(startedAt) {
  const env = [
    `date ${startedAt.toISOString()}`, `${os.cpus().length} cores`, `node ${process.version}`,
    version(['make', '--version']), `ninja ${version(['ninja', '--version'])}`, version(['python3', '--version']),
  ].join(' · ');
  const lines = [
    '# docpipe bench', '',
    `\`${['node bench/run.mjs', ...process.argv.slice(2)].join(' ')}\` — ${env}`, '',
    `Median wall time of ${opts.runs} runs (full builds: one run); in brackets: min, the largest max-RSS of the client's process tree (\`/usr/bin/time -f %M\`), and for pipe the daemon's peak RSS since it started (VmHWM), which /usr/bin/time cannot see.` +
      (pipeReady ? '' : ` pipe: ${pipeMissingWhy}.`), '',
    '| scenario | workload | make | ninja | pipe | pipe/ninja | pipe/make |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.workload} | ${cellText(r.cells.make)} | ${cellText(r.cells.ninja)} | ${cellText(r.cells.pipe)} | ${ratio(r.cells.pipe, r.cells.ninja)} | ${ratio(r.cells.pipe, r.cells.make)} |`),
    '',
  ];
  if (problems.length) lines.push('## Problems', '', ...problems.map((p) => `- ${p}`), '');
  if (notes.length) lines.push('## Details', '', ...notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

async function stopDaemons() {
  if (!pipeReady) return;
  for (const dir of pipeDirs) {
    if (!fs.existsSync(path.join(dir, '.pipe', 'daemon.json'))) continue;
    const r = await run([process.execPath, PIPE_CLI, 'stop'], { cwd: dir, timeoutS: 20 });
    if (!r.ok) problems.push(`**pipe stop** in \`${path.relative(REPO, dir)}\` failed: ${lastLines(r.stdout + r.stderr)}`);
  }
}

async function main() {
  const startedAt = new Date();
  log(`repo ${REPO}; generator ${opts.gen}; scenarios ${opts.only.join(',')}; pipe ${pipeReady ? PIPE_CLI : pipeMissingWhy}`);
  // Recreate only what this harness makes: others may keep their own dirs in bench/work/.
  fs.mkdirSync(WORK, { recursive: true });
  for (const name of fs.readdirSync(WORK)) {
    if (/^(fast|warm)-/.test(name)) fs.rmSync(path.join(WORK, name), { recursive: true, force: true });
  }
  try {
    if (opts.only.includes('noop') || opts.only.includes('change')) await fastScenarios();
    if (opts.only.includes('warm')) await warmScenario();
  } finally {
    await stopDaemons();
  }
  const md = report(startedAt);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'latest.md'), `${md}\n`);
  process.stdout.write(`${md}\n`);
  log(`wrote ${path.relative(REPO, path.join(RESULTS, 'latest.md'))}`);
}

await main();
