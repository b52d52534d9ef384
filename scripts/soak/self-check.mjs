// `soak.mjs --self-check`: shows that the soak's checks can fail. On a real project it makes
// the faults they exist to catch (a stage re-run on inputs it already ran on, an output that
// differs from a clean build, a stage run twice in one step) and expects each to be reported.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputs, checkRuns, logLinesSince } from './checks.mjs';
import { SoakFailure } from './procs.mjs';
import { randomText } from './project.mjs';

/** Returns the names of the faults that went unreported (empty: every check works). */
export async function selfCheck(soak, clean) {
  const missed = [];
  const expectFailure = async (name, needle, check) => {
    try {
      await check();
      missed.push(name);
    } catch (e) {
      if (!(e instanceof SoakFailure)) throw e;
      if (!e.message.includes(needle)) {
        missed.push(`${name} (reported as something else: ${e.message})`);
        return;
      }
      process.stdout.write(`self-check: ${name}: reported (${e.message.split('\n')[1]?.trim() ?? e.message})\n`);
    }
  };
  for (const d of ['d0', 'd1']) soak.setDocModel(d, randomText(soak.rng));
  soak.create();
  const ever = new Map();
  let from = soak.logSize();
  await soak.op_build();
  checkRuns(logLinesSince(soak.o.log, from), ever, 1, false);
  await checkOutputs(soak.o.root, soak.docs, clean, soak.known);

  // `pipe clean --cache` forgets every stage: the next build re-runs them on the same inputs.
  await soak.build(['clean', '--cache']);
  from = soak.logSize();
  await soak.op_build();
  await expectFailure('a stage re-run on inputs an earlier build ran it on', 'ran again on an input', () => checkRuns(logLinesSince(soak.o.log, from), ever, 2, false));

  writeFileSync(join(soak.o.root, 'out', 'd0.up'), 'NOT WHAT A CLEAN BUILD MAKES\n');
  await expectFailure('an output that differs from a clean build', 'd0.up differs from a clean build', () => checkOutputs(soak.o.root, soak.docs, clean, soak.known));

  await soak.op_build(); // restores d0.up (from the cache)
  writeFileSync(join(soak.o.root, 'out', 'd5.cnt'), 'an output of a source that never existed\n');
  await expectFailure('an output a clean build does not make', 'd5.cnt exists but a clean build does not make it', () => checkOutputs(soak.o.root, soak.docs, clean, soak.known));

  const lines = logLinesSince(soak.o.log, from);
  await expectFailure('a stage run twice in one step', 'twice', () => checkRuns([...lines, ...lines], new Map(), 3, false));
  await soak.build(['stop']);
  return missed;
}
