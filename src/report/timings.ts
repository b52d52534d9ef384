// DOCPIPE_TIMINGS=1 prints how long each phase of a command took, on stderr: for users
// reporting a slow build, and for us when profiling.
const enabled = process.env['DOCPIPE_TIMINGS'] === '1';
let last = performance.now();

export function phase(name: string): void {
  if (!enabled) return;
  const now = performance.now();
  process.stderr.write(`[timing] ${name.padEnd(14)} ${(now - last).toFixed(1).padStart(7)} ms  (at ${now.toFixed(0)} ms)\n`);
  last = now;
}
