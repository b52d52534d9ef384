// The soak's two checks. Runs: the run log of one step holds no (stage, input) pair twice, and
// no pair that an earlier finished build already ran (the store or the output cache must make
// it fresh). Outputs: the project's out/ equals a clean --no-daemon build of the same sources
// in a separate copy (plus orphans of deleted sources, which pipe keeps until `pipe clean`).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree, writeProject } from './project.mjs';
import { SoakFailure, startCli, tail } from './procs.mjs';

const sha = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The marker docpipe writes after each document to a warm tool (README: Warm tools), not a record of a document. */
const WARM_MARKER = 'docpipesentinel';

/**
 * The (stage, input) pairs in run-log lines. Warm records are grouped by the document their
 * "doc:line:" prefix names: a document served twice shows a record twice.
 */
export function runPairs(lines) {
  const pairs = [];
  const duplicates = [];
  const records = new Map();
  const seen = new Set();
  for (const line of lines) {
    const [stage, ...rest] = line.split(' ');
    if (stage === 'upper') {
      const rec = line.slice('upper '.length);
      if (rec === WARM_MARKER) continue;
      if (seen.has(rec)) duplicates.push(`warm tool upper served record "${rec}" twice`);
      seen.add(rec);
      const doc = rec.split(':')[0];
      records.set(doc, [...(records.get(doc) ?? []), rec]);
    } else {
      pairs.push(`${stage} ${rest.join(' ')}`);
    }
  }
  for (const [doc, recs] of records) pairs.push(`upper ${doc} ${sha(recs.map((r) => `${r}\n`).join(''))}`);
  return { pairs, duplicates };
}

/** Run-log lines written since byte `offset`. */
export function logLinesSince(log, offset) {
  if (!existsSync(log)) return [];
  return readFileSync(log).subarray(offset).toString('utf8').split('\n').filter((l) => l !== '');
}

/**
 * Checks one step's runs. `ever` maps every pair run by an earlier finished step (since the
 * project was last created) to that step. A step that killed something may legitimately run
 * a pair twice (the killed build recorded nothing), so its pairs are only checked against
 * earlier steps and not remembered.
 */
export function checkRuns(lines, ever, step, uncertain) {
  const { pairs, duplicates } = runPairs(lines);
  const problems = [];
  if (!uncertain) {
    problems.push(...duplicates);
    const counts = new Map();
    for (const p of pairs) counts.set(p, (counts.get(p) ?? 0) + 1);
    for (const [p, n] of counts) if (n > 1) problems.push(`stage ran ${n} times on the same input in this step: ${p}`);
  }
  for (const p of new Set(pairs)) {
    const before = ever.get(p);
    if (before !== undefined) problems.push(`stage ran again on an input it already ran on in step ${before} (the store or the output cache should have made it fresh): ${p}`);
  }
  if (!uncertain) for (const p of pairs) if (!ever.has(p)) ever.set(p, step);
  if (problems.length > 0) throw new SoakFailure(`runs:\n${problems.map((p) => `  ${p}`).join('\n')}\nrun log of this step:\n${tail(lines.join('\n'), 40)}`);
}

/** Every file under `dir` (relative path -> bytes). */
export function readTree(dir, prefix = '') {
  const out = new Map();
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) for (const [k, v] of readTree(join(dir, e.name), rel)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, e.name)));
  }
  return out;
}

/** Clean builds, one per set of sources (a soak revisits the same sources often). */
export class CleanBuilds {
  #cache = new Map();

  constructor(o) {
    this.o = o; // { cli, root, log, slowFlag, env, boundMs }
  }

  async outputs(docs) {
    const key = sha(JSON.stringify([...docs].sort(([a], [b]) => (a < b ? -1 : 1))));
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit;
    const { cli, root, log, slowFlag, env, boundMs } = this.o;
    removeTree(root);
    writeProject(root, docs, log, slowFlag);
    const h = startCli(cli, ['build', '--no-daemon'], root, env);
    const r = await h.bounded(boundMs);
    if (r.code !== 0) throw new SoakFailure(`the clean build in ${root} failed (exit ${r.code}, signal ${r.signal}):\n${tail(r.stdout + r.stderr)}`);
    const out = readTree(join(root, 'out'));
    removeTree(root);
    this.#cache.set(key, out);
    return out;
  }
}

/**
 * Compares the project's out/ with a clean build. The outputs of a deleted source may remain
 * (orphans): `known` holds every document name the project ever had.
 */
export async function checkOutputs(root, docs, clean, known) {
  const want = await clean.outputs(docs);
  const have = readTree(join(root, 'out'));
  const problems = [];
  for (const [p, bytes] of want) {
    const got = have.get(p);
    if (got === undefined) problems.push(`${p} is missing`);
    else if (!got.equals(bytes)) problems.push(`${p} differs from a clean build:\n${tail(`have:\n${got}\nclean build:\n${bytes}`, 20)}`);
  }
  for (const p of have.keys()) {
    if (want.has(p)) continue;
    const m = /^([^/]+)\.(tok|up|cnt)$/.exec(p);
    if (m === null || docs.has(m[1]) || !known.has(m[1])) problems.push(`${p} exists but a clean build does not make it`);
  }
  if (problems.length > 0) throw new SoakFailure(`outputs:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}
