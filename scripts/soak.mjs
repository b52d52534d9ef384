#!/usr/bin/env node
// `npm run soak`: random, seeded sequences of edits, builds with and without the daemon,
// concurrent clients, directory re-creation and SIGKILL/SIGSTOP of clients and daemons on a
// temp project; after every build, no stage ran twice and the outputs equal a clean build.
// Usage: node scripts/soak.mjs [--seed S] [--steps N] [--profile full|ci] [--bound-ms MS]
//        [--without OP,...] [--keep-going] [--keep]   (or SOAK_SEED / SOAK_STEPS)
//        node scripts/soak.mjs --self-check   (the checks catch the faults they are for)
// Needs `npm run build` first.
import { mkdtempSync, realpathSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CleanBuilds, checkOutputs, checkRuns, logLinesSince } from './soak/checks.mjs';
import { logTailOf, report } from './soak/report.mjs';
import { DOC_NAMES, Soak } from './soak/ops.mjs';
import { SoakFailure, alive, describeProcesses, projectProcesses, startCli, waitUntil } from './soak/procs.mjs';
import { randomText } from './soak/project.mjs';
import { Rng } from './soak/rng.mjs';
import { selfCheck } from './soak/self-check.mjs';
import { OPS, PROFILES, Schedule } from './soak/schedule.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(REPO, 'dist', 'cli', 'main.js');

function parseArgs(argv) {
  const o = { seed: process.env['SOAK_SEED'], steps: process.env['SOAK_STEPS'], profile: 'full', boundMs: '60000', keepGoing: false, keep: false, without: [], selfCheck: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--seed') o.seed = value();
    else if (a === '--steps') o.steps = value();
    else if (a === '--profile') o.profile = value();
    else if (a === '--bound-ms') o.boundMs = value();
    else if (a === '--without') o.without = value().split(',');
    else if (a === '--keep-going') o.keepGoing = true;
    else if (a === '--self-check') o.selfCheck = true;
    else if (a === '--keep') o.keep = true;
    else usage(`unknown argument ${a}`);
  }
  o.seed ??= String(Math.floor(Math.random() * 2 ** 31));
  if (!(o.profile in PROFILES)) usage(`--profile must be one of ${Object.keys(PROFILES).join(', ')}, not '${o.profile}'`);
  for (const k of ['seed', 'steps', 'boundMs']) if (o[k] !== undefined && !/^\d+$/.test(o[k])) usage(`--${k === 'boundMs' ? 'bound-ms' : k} must be a whole number, not '${o[k]}'`);
  for (const op of o.without) if (!OPS.includes(op)) usage(`--without: no operation '${op}' (there are ${OPS.join(', ')})`);
  return { ...o, seed: Number(o.seed), steps: o.steps === undefined ? undefined : Number(o.steps), boundMs: Number(o.boundMs) };
}

function usage(problem) {
  process.stderr.write(`soak: ${problem}\nusage: node scripts/soak.mjs [--seed S] [--steps N] [--profile ${Object.keys(PROFILES).join('|')}] [--bound-ms MS] [--without OP,...] [--keep-going] [--keep] | --self-check\n`);
  process.exit(2);
}

async function main() {
  const began = Date.now();
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(CLI)) usage(`${CLI} does not exist: run \`npm run build\` first`);

  const work = realpathSync(mkdtempSync(join(tmpdir(), 'docpipe-soak-')));
  const root = join(work, 'project');
  const cleanRoot = join(work, 'clean');
  const env = { ...process.env, PIPE_DAEMON_IDLE_MS: '600000' };
  for (const k of ['CI', 'PIPE_NO_DAEMON', 'PIPE_DAEMON_STAT_ALL', 'DOCPIPE_TIMINGS']) delete env[k];
  const rng = new Rng(o.seed);
  const schedule = new Schedule(rng, o.profile, o.without);
  // The ci profile's natural length is one deck: every operation at least once.
  o.steps ??= schedule.deckSize ?? 40;
  const replay = `node scripts/soak.mjs --seed ${o.seed} --steps ${o.steps} --profile ${o.profile}${o.boundMs !== 60_000 ? ` --bound-ms ${o.boundMs}` : ''}${o.without.length > 0 ? ` --without ${o.without.join(',')}` : ''}`;
  if (!o.selfCheck) process.stdout.write(`soak: seed ${o.seed}, ${o.steps} steps, profile ${o.profile} (replay: ${replay})\n`);
  if (schedule.deckSize !== undefined && !o.selfCheck) process.stdout.write(`soak: first deck: ${schedule.upcoming.join(' ')}\n`);
  const common = { cli: CLI, slowFlag: join(work, 'slow'), env, boundMs: o.boundMs };
  const soak = new Soak({ ...common, rng, root, log: join(work, 'runs.log') });
  const clean = new CleanBuilds({ ...common, root: cleanRoot, log: join(work, 'clean-runs.log') });
  const failures = [];
  let ever = new Map();
  // Interrupted (Ctrl-C, or a test's bound): leave no daemon, tool or temp directory behind.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      process.stderr.write(`soak: ${sig}: cleaning up (seed ${o.seed}; replay: ${replay})\n`);
      void killAll([root, cleanRoot], soak.stopped).finally(() => {
        rmSync(work, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }

  const fail = (step, op, e) => {
    if (!(e instanceof SoakFailure)) throw e;
    failures.push({ step, op, message: e.message, daemonLog: logTailOf(join(root, '.pipe', 'daemon.log')) });
    report(process.stderr, failures.at(-1), o.seed, o.selfCheck ? 'node scripts/soak.mjs --self-check' : replay.replace(/--steps \d+/, `--steps ${step}`));
  };

  try {
    if (o.selfCheck) {
      for (const m of await selfCheck(soak, clean)) fail('self-check', m, new SoakFailure(`the soak's checks did not report: ${m}`));
    } else {
      for (let i = 0; i < 3; i++) soak.setDocModel(DOC_NAMES[i], randomText(rng));
      soak.create();
      for (let step = 1; step <= o.steps; step++) {
        const op = schedule.next((x) => soak.applicable(x));
        const from = soak.logSize();
        const started = Date.now();
        try {
          const r = await soak[`op_${op}`]();
          process.stdout.write(`step ${step} ${op}: ${r.note} [${((Date.now() - started) / 1000).toFixed(1)} s]\n`);
          if (r.recreated === true) ever = new Map();
          if (r.built === true) {
            checkRuns(logLinesSince(soak.o.log, from), ever, step, r.uncertain === true);
            await checkOutputs(root, soak.docs, clean, soak.known);
          }
        } catch (e) {
          fail(step, op, e);
          if (!o.keepGoing) break;
          // Start over from a fresh project so later steps test something.
          await killAll([root, cleanRoot], soak.stopped);
          rmSync(soak.o.slowFlag, { force: true });
          removeAndCreate(soak);
          ever = new Map();
        }
      }
    }
    if (failures.length === 0 || o.keepGoing) {
      try {
        const r = await startCli(CLI, ['stop'], root, env).bounded(o.boundMs);
        if (r.code !== 0) throw new SoakFailure(`the final \`pipe stop\` exited ${r.code}`);
        await waitUntil(() => `no process of the project left alive; still alive:\n${describeProcesses(projectProcesses([root, cleanRoot]))}`, () => projectProcesses([root, cleanRoot]).length === 0, 10_000);
      } catch (e) {
        fail('end', 'final pipe stop', e);
      }
    }
  } finally {
    await killAll([root, cleanRoot], soak.stopped);
    if (o.keep) process.stdout.write(`soak: kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
  const took = ` in ${Math.round((Date.now() - began) / 1000)} s`;
  const passed = o.selfCheck ? 'self-check passed: every fault was reported' : `${o.steps} steps passed (seed ${o.seed})${took}`;
  process.stdout.write(failures.length === 0 ? `soak: ${passed}\n` : `soak: ${failures.length} failure(s) (seed ${o.seed})${took}\n`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

function removeAndCreate(soak) {
  rmSync(soak.o.root, { recursive: true, force: true });
  soak.create();
}

/** Leaves nothing behind: resumes what we stopped, then SIGKILLs every process of the project. */
async function killAll(roots, stopped) {
  for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGCONT');
  stopped.clear();
  const ps = projectProcesses(roots);
  for (const p of ps) {
    try {
      process.kill(p.pid, 'SIGCONT');
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitUntil('the project processes we killed to exit', () => ps.every((p) => !alive(p.pid)), 10_000).catch(() => {});
}

await main();
