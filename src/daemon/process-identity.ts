// Whether a pid still names the process we think it does. Pids are reused, so a record
// that names a pid is trusted only when the process started when the record says it did
// (/proc/PID/stat field 22) and its command line is a pipe daemon's (/proc/PID/cmdline).
// node:fs only: clients load this.
import { readFileSync } from 'node:fs';
import { isAlive } from './paths.js';

/** The process's start time in clock ticks since boot, as a string; '' where /proc is missing. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

/** True when the process is stopped (SIGSTOP, or traced): it cannot answer until continued. */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'T' || state === 't';
  } catch {
    return false;
  }
}

/** The process's argv, or undefined when it cannot be read (gone, or no /proc). */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` runs, is a `pipe daemon` (an argument `daemon` after a docpipe entry point),
 * and, when `start` is known, started at `start`. Without /proc (macOS) only liveness counts.
 */
export function isPipeDaemon(pid: number, start?: string): boolean {
  if (!isAlive(pid)) return false;
  const argv = commandLine(pid);
  if (argv === undefined) return process.platform !== 'linux';
  const entry = argv.findIndex((a) => /(?:cli\/main\.js|cli\/pipe\.cjs|\/pipe)$/.test(a));
  if (entry < 0 || argv[entry + 1] !== 'daemon') return false;
  return start === undefined || start === '' || processStart(pid) === start;
}
