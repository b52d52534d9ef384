// How a soak failure is shown: the step, the seed, the replay command, what went wrong, and
// the end of the project's daemon log.
import { readFileSync } from 'node:fs';

export function logTailOf(path, lines = 20) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function report(out, f, seed, replay) {
  out.write(`\nSOAK FAILURE at step ${f.step} (${f.op}), seed ${seed}\n${f.message}\n`);
  if (f.daemonLog !== '') out.write(`end of .pipe/daemon.log:\n${f.daemonLog.replace(/^/gm, '  | ')}\n`);
  out.write(`replay: ${replay}\n\n`);
}
