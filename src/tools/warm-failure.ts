// Builds the human parts of warm failures: the timeout hint and quoted stray bytes.

const DEFAULT_FIXES =
  'set PYTHONUNBUFFERED=1 (or run `python -u`), wrap C/stdio tools in `stdbuf -oL`, ' +
  'or make the tool flush stdout after each record';
/** When docpipe already wrapped the tool in stdbuf (see warm-runner.ts), only the other fixes are left. */
const WRAPPED_FIXES =
  'it already runs under `stdbuf -oL`, which reaches C stdio but not tools that buffer by ' +
  'themselves (Java, Go, Rust, statically linked ones): make the tool flush stdout after each record';

export interface TimeoutContext {
  /** The deadline that passed. */
  afterMs: number;
  /** No output record had arrived yet, so the deadline included the start-up allowance. */
  startingUp: boolean;
  /** 1-based record that timed out; 0 while reading the start-up prelude. */
  record: number;
  /** stdout bytes received since the document (or the instance) began. */
  outputBytes: number;
  argv: readonly string[];
  env: Record<string, string>;
  /** Set while learning the answer to the marker record at start-up. */
  sentinel?: string;
}

/** Why a record may have timed out, naming the fixes for block-buffered stdout. */
export function timeoutHint(context: TimeoutContext): string {
  const { afterMs, startingUp, record, outputBytes, argv, env } = context;
  const fixes = /(^|\/)stdbuf$/.test(argv[0] ?? '') && argv[1] === '-oL' ? WRAPPED_FIXES : DEFAULT_FIXES;
  const within = startingUp ? `${afterMs} ms of starting (start-up allowance included)` : `${afterMs} ms`;
  const looksPython = argv.some((arg) => /(^|\/)python[\d.]*$|\.py$/.test(arg));
  const pythonNote =
    looksPython && env['PYTHONUNBUFFERED'] === undefined && !argv.includes('-u')
      ? ' This looks like Python run without -u and without PYTHONUNBUFFERED in its environment.'
      : '';
  if (record === 0 && context.sentinel !== undefined) {
    return (
      `The tool printed its prelude (if any) but no answer to the marker line ${JSON.stringify(context.sentinel)} ` +
      `within ${afterMs} ms of starting. A tool that answers that line with nothing needs another ` +
      "sentinel (warm: { sentinel: '...' }), one whose answer depends on earlier lines needs warm: { sentinel: false }; " +
      `a tool that buffers stdout looks the same: ${fixes}.${pythonNote}`
    );
  }
  if (record === 0) {
    return (
      `The tool printed no complete prelude within ${afterMs} ms of starting. If it prints its ` +
      `prelude but buffers stdout, the lines never arrive: ${fixes}.${pythonNote} ` +
      'Otherwise check the prelude count in the tool config, or raise startupMs if start-up is slow.'
    );
  }
  if (outputBytes === 0) {
    return (
      `The tool wrote nothing to stdout within ${within}. A tool whose stdout is a pipe usually ` +
      `block-buffers it, so its answers wait in a buffer and look like a hang: ${fixes}.` +
      `${pythonNote} If the tool reads several records before answering, its framing does not ` +
      'match the tool config (lines vs terminated, or the terminator regex).'
    );
  }
  return (
    `Record ${record} got no complete answer within ${within}. If the tool is just slow on it, ` +
    `raise ${startingUp ? 'startupMs or timeoutMs' : 'timeoutMs'}. If answers arrive late and in bursts, stdout is block-buffered: ${fixes}.` +
    pythonNote
  );
}

/** Quotes up to 200 bytes of unexpected output as a JSON string, with the total size. */
export function showBytes(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('utf8');
  const more = bytes.byteLength > 200 ? ` (first 200 of ${bytes.byteLength} bytes)` : ` (${bytes.byteLength} bytes)`;
  return `${JSON.stringify(shown)}${more}`;
}
