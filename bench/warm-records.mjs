// Per-record overhead of the warm pool, measured with `cat` (an instant line tool).
// Usage: npx tsc -p tsconfig.json && node bench/warm-records.mjs [totalRecords]
// Prints µs/record for: one document of N lines; N/1000 documents of 1000 lines, one after
// another and all at once over 2 instances; and a bare pipe through cat as the floor.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WarmPool } from '../dist/tools/warm-pool.js';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const PER_DOC = 1000;
const ROUNDS = 3;

const dir = mkdtempSync(join(tmpdir(), 'docpipe-bench-'));
const spec = (instances) => ({
  name: 'cat',
  identity: `cat-${instances}`,
  argv: ['/bin/cat'],
  cwd: dir,
  env: { PATH: '/usr/bin:/bin' },
  framing: { kind: 'lines' },
  prelude: 0,
  timeoutMs: 30_000,
  instances,
  idleMs: 60_000,
  retries: 0,
});

/** `count` lines of 16 bytes: "record 00000001\n". */
function lines(count, from = 0) {
  const buf = Buffer.allocUnsafe(count * 16);
  for (let i = 0; i < count; i++) buf.write(`record ${String(from + i).padStart(8, '0')}\n`, i * 16, 'latin1');
  return buf;
}

function check(result, input) {
  if (!result.ok) throw new Error(`failed: ${JSON.stringify(result.error)}`);
  if (Buffer.compare(Buffer.from(result.value), input) !== 0) throw new Error('output differs from input');
}

async function time(label, records, run) {
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  const best = Math.min(...samples);
  const median = samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  const perRecord = (ms) => ((ms * 1000) / records).toFixed(3);
  console.log(
    `${label.padEnd(46)} best ${best.toFixed(0).padStart(5)} ms  ${perRecord(best)} µs/record   (median ${perRecord(median)})`,
  );
}

/** The floor: the same bytes through a fresh cat, no pool. */
function barePipe(input) {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks)));
    child.stdin.end(input);
  });
}

const pool = new WarmPool({ maxProcesses: 4, logDir: join(dir, 'logs') });
try {
  const one = lines(TOTAL);
  const docs = Array.from({ length: TOTAL / PER_DOC }, (_, i) => lines(PER_DOC, i * PER_DOC));
  // Start the instances first: start-up is not per-record overhead.
  await Promise.all([pool.process(spec(1), lines(10)), pool.process(spec(2), lines(10)), pool.process(spec(2), lines(10))]);

  console.log(`node ${process.version}, ${TOTAL} records of 16 bytes through /bin/cat, best of ${ROUNDS}`);
  await time('bare pipe through cat (no pool, floor)', TOTAL, async () => {
    const out = await barePipe(one);
    if (out.length !== one.length) throw new Error('bare pipe lost bytes');
  });
  await time(`1 document x ${TOTAL} lines`, TOTAL, async () => check(await pool.process(spec(1), one), one));
  await time(`${docs.length} documents x ${PER_DOC} lines, sequential`, TOTAL, async () => {
    for (const doc of docs) check(await pool.process(spec(1), doc), doc);
  });
  await time(`${docs.length} documents x ${PER_DOC} lines, concurrent, 2 inst`, TOTAL, async () => {
    const results = await Promise.all(docs.map((doc) => pool.process(spec(2), doc)));
    results.forEach((result, i) => check(result, docs[i]));
  });
  await time(`${TOTAL / 10} documents x 1 line, concurrent, 2 inst`, TOTAL / 10, async () => {
    const single = Buffer.from('x\n');
    const results = await Promise.all(Array.from({ length: TOTAL / 10 }, () => pool.process(spec(2), single)));
    results.forEach((result) => check(result, single));
  }).catch((error) => console.log(error));
} finally {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
}
