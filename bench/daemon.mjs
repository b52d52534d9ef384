#!/usr/bin/env node
// bench/daemon.mjs: the daemon and watch mode on the reference workload (10,000 documents,
// FAST instant tools from ../shared/bench/gen.py). Node builtins only.
//
//   (a) no-op `pipe build` through a running daemon vs ninja's no-op, median of --runs
//   (b) save-to-output latency of `pipe watch` for one changed document, p50/p95 of --saves
//   (c) the daemon's resident memory (VmRSS): idle after no-op builds, and while watching
//
//   node bench/daemon.mjs [--docs 10000] [--runs 10] [--saves 30] [--dir PATH] [--fresh]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const GEN = path.resolve(REPO, '..', 'shared', 'bench', 'gen.py');

const o = { docs: 10000, runs: 10, saves: 30, dir: undefined, fresh: false, jobs: 2 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const next = () => process.argv[++i] ?? fail(`${a} expects a value`);
  if (a === '--docs') o.docs = Number(next());
  else if (a === '--runs') o.runs = Number(next());
  else if (a === '--saves') o.saves = Number(next());
  else if (a === '--dir') o.dir = path.resolve(next());
  else if (a === '--jobs') o.jobs = Number(next());
  else if (a === '--fresh') o.fresh = true;
  else fail(`unknown option ${a}`);
}
const DIR = o.dir ?? path.join(REPO, 'bench', 'work', `daemon-${o.docs}`);
const env = { ...process.env, CI: '', PIPE_DAEMON_IDLE_MS: '600000' };
delete env.PIPE_NO_DAEMON;

function fail(msg) {
  console.error(`bench/daemon: ${msg}`);
  process.exit(2);
}

function pipe(args, opts = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: DIR, env, encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.status !== 0) fail(`pipe ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r;
}

function time(cmd, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: DIR, env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { ms, out: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const f = (ms) => `${ms.toFixed(1)} ms`;

function daemonPid() {
  return JSON.parse(fs.readFileSync(path.join(DIR, '.pipe', 'daemon.json'), 'utf8')).pid;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------- workload
if (o.fresh) fs.rmSync(DIR, { recursive: true, force: true });
if (!fs.existsSync(path.join(DIR, 'pipeline.config.ts'))) {
  console.log(`generating ${o.docs} documents in ${DIR}`);
  execFileSync('python3', [GEN, String(o.docs), DIR], { env: { ...process.env, FAST: '1' }, stdio: 'inherit' });
}
pipe(['stop']);
console.log('full builds (pipe through a fresh daemon, ninja) ...');
let t0 = Date.now();
pipe(['build', '-j', String(o.jobs)]);
console.log(`  pipe build: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
t0 = Date.now();
time('ninja', ['-j', String(o.jobs)]);
console.log(`  ninja: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------- (a) no-op
// Warm-up: the first no-ops after a build re-stat what the build wrote.
for (let i = 0; i < 3; i++) pipe(['build']);
const pipeNoop = [];
const ninjaNoop = [];
for (let i = 0; i < o.runs; i++) {
  const p = time(process.execPath, [CLI, 'build']);
  if (!/ 0 built| up to date/.test(p.out) || / built,/.test(p.out)) fail(`pipe no-op did work: ${p.out}`);
  pipeNoop.push(p.ms);
  const n = time('ninja', ['-j', String(o.jobs)]);
  if (!n.out.includes('no work to do')) fail(`ninja no-op did work: ${n.out}`);
  ninjaNoop.push(n.ms);
}
const nodeBare = [];
for (let i = 0; i < o.runs; i++) nodeBare.push(time(process.execPath, ['-e', '0']).ms);
const idleRss = rssMb(daemonPid());

// ---------------------------------------------------------------- (b) watch latency
const watch = spawn(process.execPath, [CLI, 'watch'], { cwd: DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
let watchOut = '';
watch.stdout.setEncoding('utf8').on('data', (c) => (watchOut += c));
watch.stderr.setEncoding('utf8').on('data', (c) => (watchOut += c));
await until(() => /initial build/.test(watchOut), 120_000, 'the watch to start');
const watchRss = rssMb(daemonPid());
const latencies = [];
const names = fs.readdirSync(path.join(DIR, 'data')).filter((n) => n.endsWith('.txt')).sort();
for (let i = 0; i < o.saves; i++) {
  const name = names[(i * 7919) % names.length];
  const doc = name.replace(/\.txt$/, '');
  const text = `Saved by the benchmark, round ${i}, at ${Date.now()}.\n`;
  const out = path.join(DIR, 'out', `${doc}.parse`);
  const seen = waitForContent(out, text);
  const t = process.hrtime.bigint();
  fs.writeFileSync(path.join(DIR, 'data', name), text);
  await seen;
  latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  await new Promise((r) => setTimeout(r, 150)); // let the rebuild line and stats settle
}
const afterWatchRss = rssMb(daemonPid());
watch.kill('SIGINT');
await new Promise((r) => watch.on('exit', r));
pipe(['stop']);

// ---------------------------------------------------------------- report
const ratio = median(pipeNoop) / median(ninjaNoop);
const lines = [
  `# docpipe daemon benchmark (${new Date().toISOString()})`,
  '',
  `Workload: ${o.docs} documents (gen.py, FAST tools), ${2 * o.docs} tasks, in ${DIR}; ${process.platform}, node ${process.version}.`,
  '',
  '| measurement | result |',
  '|---|---|',
  `| (a) no-op \`pipe build\` through a running daemon, median of ${o.runs} | ${f(median(pipeNoop))} (min ${f(Math.min(...pipeNoop))}) |`,
  `| (a) no-op \`ninja\`, median of ${o.runs} | ${f(median(ninjaNoop))} (min ${f(Math.min(...ninjaNoop))}) |`,
  `| (a) ratio pipe / ninja | ${ratio.toFixed(2)} |`,
  `| (a) for scale: \`node -e 0\`, median | ${f(median(nodeBare))} |`,
  `| (b) save-to-output latency in \`pipe watch\`, ${o.saves} saves, p50 / p95 | ${f(pct(latencies, 50))} / ${f(pct(latencies, 95))} (max ${f(Math.max(...latencies))}) |`,
  `| (c) daemon VmRSS idle after no-op builds | ${idleRss.toFixed(0)} MB |`,
  `| (c) daemon VmRSS watching ${o.docs} sources (start / after the saves) | ${watchRss.toFixed(0)} MB / ${afterWatchRss.toFixed(0)} MB |`,
  '',
];
console.log(lines.join('\n'));
fs.mkdirSync(path.join(REPO, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(REPO, 'bench', 'results', 'daemon.md'), lines.join('\n'));

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) fail(`timed out waiting for ${what}:\n${watchOut}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when `file` holds the parse of `text` (the FAST tools keep the words). */
function waitForContent(file, text) {
  const want = text.replace(/ +/g, ' ');
  return new Promise((resolve, reject) => {
    const dir = path.dirname(file);
    const check = () => {
      try {
        if (fs.readFileSync(file, 'utf8') === want) {
          w.close();
          clearTimeout(timer);
          resolve();
        }
      } catch {}
    };
    const w = fs.watch(dir, (_t, name) => {
      if (name === path.basename(file)) check();
    });
    const timer = setTimeout(() => {
      w.close();
      reject(new Error(`no output for ${file} after 10 s:\n${watchOut.slice(-2000)}`));
    }, 10_000);
  });
}
