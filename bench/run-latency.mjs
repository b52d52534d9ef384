// Per-call wall time of `pipe run -- <tool>` against a warm server, next to `node -e 0`
// (and `pipe --version`, the commander path) measured in the same run, interleaved so load
// on the machine hits all of them alike.
// Usage: npx tsc -p tsconfig.json && node bench/run-latency.mjs [calls=50]
// The tool is the anchor's tokenizer (../shared/bench/tools/tokenize, 0.5 s model load)
// when present, else a small Python line tool; the input is a 4-sentence document.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The installed `pipe` (package.json bin): the CommonJS launcher.
const CLI = join(REPO, 'dist', 'cli', 'pipe.cjs');
const CALLS = Number(process.argv[2] ?? 50);

const dir = mkdtempSync(join(tmpdir(), 'docpipe-run-latency-'));
const anchorTool = resolve(REPO, '..', 'shared', 'bench', 'tools', 'tokenize');
let tool;
if (existsSync(anchorTool)) {
  tool = [anchorTool, '-m', 'model.txt'];
  writeFileSync(join(dir, 'model.txt'), 'a tokenizer model\n');
} else {
  tool = ['./tokenize.py'];
  writeFileSync(join(dir, 'tokenize.py'), '#!/usr/bin/env python3\nimport sys\nfor line in sys.stdin:\n    sys.stdout.write(" ".join(line.split()) + "\\n")\n    sys.stdout.flush()\n');
  chmodSync(join(dir, 'tokenize.py'), 0o755);
}
const input = 'The quick brown fox jumps over the lazy dog.\nIt was not amused, said the dog.\nA second sentence follows here.\nAnd a fourth, to end the document.\n';
const env = { ...process.env, TOOL_STARTUP: '0.5' };

function time(argv, stdin) {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, env, input: stdin, maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const pipeRun = [process.execPath, CLI, 'run', '-w', '60', '--', ...tool];
const cases = {
  'node -e 0': [process.execPath, '-e', '0'],
  'pipe run (warm server)': pipeRun,
  'pipe --version (commander path)': [process.execPath, CLI, '--version'],
};

// First call starts the server (and the tool's 0.5 s model load); then warm up.
const first = time(pipeRun, input);
const expected = spawnSync(tool[0], tool.slice(1), { cwd: dir, env, input }).stdout;
if (!first.stdout.equals(expected)) throw new Error(`pipe run output differs from the tool's:\n${first.stdout}\nvs\n${expected}`);
for (let i = 0; i < 5; i++) time(pipeRun, input);

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < CALLS; i++) {
  for (const [name, argv] of Object.entries(cases)) samples[name].push(time(argv, input).ms);
}

const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];
const stats = {};
for (const [name, xs] of Object.entries(samples)) {
  xs.sort((a, b) => a - b);
  stats[name] = { min: xs[0], p25: q(xs, 0.25), median: q(xs, 0.5), p75: q(xs, 0.75) };
}
const base = stats['node -e 0'];
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`pipe run latency: ${CALLS} calls each, interleaved; first call (server + tool start) ${first.ms.toFixed(0)} ms; load average ${load}`);
console.log(`tool: ${tool.join(' ')}; input ${input.length} bytes, ${input.split('\n').length - 1} records`);
console.log('');
console.log('| command | min ms | p25 ms | median ms | p75 ms | median / node -e 0 |');
console.log('|---|---|---|---|---|---|');
for (const [name, s] of Object.entries(stats)) {
  console.log(`| ${name} | ${s.min.toFixed(1)} | ${s.p25.toFixed(1)} | ${s.median.toFixed(1)} | ${s.p75.toFixed(1)} | ${(s.median / base.median).toFixed(2)} |`);
}
const run = stats['pipe run (warm server)'];
console.log('');
console.log(`pipe run over node -e 0: median +${(run.median - base.median).toFixed(1)} ms, min +${(run.min - base.min).toFixed(1)} ms; goal ratio <= 1.20, measured ${(run.median / base.median).toFixed(2)} (median), ${(run.min / base.min).toFixed(2)} (min)`);

// Stop the server this run started (by its pid) and remove the temp project.
const runDir = join(dir, '.pipe', 'run');
for (const n of existsSync(runDir) ? readdirSync(runDir) : []) {
  if (!n.endsWith('.json') || n === 'digests.json') continue;
  try {
    process.kill(JSON.parse(readFileSync(join(runDir, n), 'utf8')).pid, 'SIGTERM');
  } catch {
    // gone already
  }
}
setTimeout(() => rmSync(dir, { recursive: true, force: true }), 300);
