// The `pipe run` client: parses the arguments, hashes the command's identity, sends stdin
// to the matching server over its unix socket and writes the answer to stdout; starts the
// server (start-server.ts) when none answers.
//
// Every `pipe run` call pays for what this loads. scripts/build-cjs.mjs bundles it with the
// small modules it imports (args, identity, rendezvous, frames, util/) into one CommonJS
// file, so keep those to node:fs, node:net and node:path; node:crypto loads when a tool
// file must be hashed, node:child_process when a server must be started.
import { readFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { parseRunArgs, runUsage, type RunArgs } from './args.js';
import { encodeHeader, HeaderReader, PROTOCOL_VERSION } from './frames.js';
import { runIdentity } from './identity.js';
import type { RunRequest, RunResponse } from './protocol.js';
import { runDir, serverLogPath, socketPath } from './rendezvous.js';
import type { Started } from './start-server.js';

/** Between attempts to reach a server that is starting. */
const POLL_MS = 10;

const EXIT_TOOL_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_NOT_FOUND = 127;

/** Runs `pipe run <args>`; resolves with the exit code. Writes output and messages itself. */
export async function runMain(args: readonly string[]): Promise<number> {
  const parsed = parseRunArgs(args);
  if (!parsed.ok) {
    writeAll(2, `pipe run: ${parsed.error}\n`);
    return EXIT_USAGE;
  }
  if (parsed.value.help) {
    writeAll(1, runUsage());
    return 0;
  }
  return runCall(parsed.value, process.cwd());
}

export async function runCall(opts: RunArgs, cwd: string): Promise<number> {
  const dir = runDir(cwd);
  const framing = { prelude: opts.prelude, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.output !== undefined ? { output: opts.output } : {}) };
  const identity = await runIdentity(opts.command, cwd, framing, process.env, dir);
  if (!identity.ok) {
    writeAll(2, `pipe run: command not found: '${identity.error.command}' (searched ${identity.error.searched})\n`);
    return EXIT_NOT_FOUND;
  }
  const id = identity.value;
  const socket = socketPath(dir, id.key);
  const input = await readStdin();
  const request: RunRequest = { type: 'run', v: PROTOCOL_VERSION, identity: id.descriptor };
  if (opts.timeoutMs !== undefined) request.timeoutMs = opts.timeoutMs;
  if (opts.instances !== undefined) request.instances = opts.instances;
  if (opts.idleSeconds !== undefined) request.idleSeconds = opts.idleSeconds;
  const frame = [encodeHeader(request), input] as const;

  let started: Started | null = null;
  let resets = 0;
  for (;;) {
    const outcome = await call(socket, frame);
    switch (outcome.kind) {
      case 'done':
        if (outcome.response.ok) return 0;
        if (outcome.response.reason !== 'retiring') {
          writeAll(2, `pipe run: ${outcome.response.message}\n`);
          return EXIT_TOOL_FAILED;
        }
        break; // a retiring server: find or start another
      case 'no-server':
        break;
      case 'dropped':
        // The server died before answering (killed, crashed): a document is a pure function of its input, so send it once more.
        if (resets++ >= 1) {
          writeAll(2, `pipe run: the server for '${opts.command[0] ?? ''}' closed the connection without answering (${outcome.detail}); see ${serverLogPath(dir, id.key)}\n`);
          return EXIT_TOOL_FAILED;
        }
        continue;
      case 'cut':
        // Part of the output is on stdout already: no retry.
        writeAll(2, `pipe run: the connection to the server for '${opts.command[0] ?? ''}' broke after ${outcome.received} of ${outcome.expected} output bytes\n`);
        return EXIT_TOOL_FAILED;
    }
    if (started === null) {
      const s = (await import('./start-server.js')).startServer(id, opts, cwd, dir, socket);
      if (typeof s === 'string') {
        writeAll(2, `pipe run: ${s}\n`);
        return EXIT_TOOL_FAILED;
      }
      started = s;
    } else {
      const problem = started.problem();
      if (problem !== null) {
        writeAll(2, `pipe run: ${problem}\n`);
        return EXIT_TOOL_FAILED;
      }
      await sleep(POLL_MS);
    }
  }
}

type Outcome =
  | { kind: 'done'; response: RunResponse }
  /** Nothing listens on the socket. */
  | { kind: 'no-server' }
  /** The connection ended before a response header. */
  | { kind: 'dropped'; detail: string }
  /** The connection ended within the output. */
  | { kind: 'cut'; received: number; expected: number };

/** One request: writes the frame, streams the answer's body to stdout as it arrives. */
function call(socket: string, frame: readonly [Buffer, Buffer]): Promise<Outcome> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    const reader = new HeaderReader();
    let response: RunResponse | null = null;
    let received = 0;
    let connected = false;
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      // After the caller has gone on (usually to exit): closing costs a turn we need not wait for.
      setImmediate(() => conn.destroy());
    };
    // Queued before the connection completes: saves a turn of the loop.
    conn.write(frame[0] as Buffer);
    conn.end(frame[1]);
    conn.on('connect', () => (connected = true));
    const body = (chunk: Buffer): void => {
      received += chunk.length;
      writeAll(1, chunk);
      // Everything is here: no need to wait for the end of the stream.
      if (response?.ok === true && received === response.bytes) settle({ kind: 'done', response });
    };
    const ended = (detail: string): void => {
      if (response === null) settle({ kind: 'dropped', detail });
      else if (response.ok && typeof response.bytes === 'number' && received !== response.bytes) settle({ kind: 'cut', received, expected: response.bytes });
      else settle({ kind: 'done', response });
    };
    conn.on('data', (chunk: Buffer) => {
      if (response !== null) {
        if (response.ok) body(chunk);
        return;
      }
      let got;
      try {
        got = reader.push(chunk);
      } catch (e) {
        settle({ kind: 'dropped', detail: `bad response: ${(e as Error).message}` });
        return;
      }
      if (got === null) return;
      response = got.header as RunResponse;
      if (response.ok) body(got.rest);
    });
    conn.on('end', () => ended('no response'));
    conn.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected && (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')) settle({ kind: 'no-server' });
      else ended(e.code ?? e.message);
    });
  });
}

/** All of stdin. Synchronous reads when fd 0 allows (cheapest), else the stream. */
async function readStdin(): Promise<Buffer> {
  try {
    return readFileSync(0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
      if (code === 'EISDIR' || code === 'EBADF') return Buffer.alloc(0);
      throw e;
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Writes everything to fd 1 or 2 synchronously (no stream objects on the hot path). A
 * non-blocking descriptor (EAGAIN) is waited for by polling; rare, and only then slower.
 */
function writeAll(fd: 1 | 2, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') return; // the reader went away (e.g. `| head`)
      throw e;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
