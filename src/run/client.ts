// The `pipe run` client: parses the arguments, hashes the command's identity, sends stdin
// to the matching server over its unix socket and writes the answer to stdout; starts the
// server (start-server.ts) when none answers.
//
// Every `pipe run` call pays for what this module loads, so it is one module on purpose
// (each further ES module costs ~1 ms to resolve and link, against a budget of ~12 ms over
// `node -e 0`), and it imports node:fs, node:net and node:path only. node:crypto loads when
// a tool file must be hashed, node:child_process when a server must be started. Its
// sections (arguments, identity, rendezvous paths, frames, the call) are what the server
// and `pipe tools` share with it; protocol.ts holds the message types.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeSync, type Stats } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { resolveExecutable, searchedFor } from '../util/resolve-executable.js';
import { treeFiles } from '../util/tree-files.js';
import type { RunRequest, RunResponse } from './protocol.js';
import type { Started } from './start-server.js';
import { writeFileAtomic } from '../util/atomic-write.js';

// ==== arguments ==============================================================================

export interface RunArgs {
  command: string[];
  /** Input record terminator regex source (-t). */
  input?: string;
  /** Output record terminator regex source (-T). */
  output?: string;
  prelude: number;
  idleSeconds?: number;
  timeoutMs?: number;
  instances?: number;
  help: boolean;
}

export interface OptionSpec {
  short?: string;
  long: string;
  value: string;
  description: string;
}

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { short: '-t', long: '--input-term', value: 'regex', description: 'a line matching it ends an input record (multi-line records; default: every line is a record)' },
  { short: '-T', long: '--output-term', value: 'regex', description: 'a line matching it ends an output record (default: the -t regex, or one line per record)' },
  { short: '-P', long: '--prelude', value: 'n', description: 'the tool prints n records once at start-up; they head every output (default 0)' },
  { short: '-w', long: '--idle', value: 'seconds', description: 'the server exits after this long without calls (default 300)' },
  { long: '--timeout-ms', value: 'n', description: 'longest one record may take before the tool counts as hung (default 30000)' },
  { short: '-n', long: '--instances', value: 'n', description: 'copies of the tool the server may run for concurrent calls (default 2)' },
];

export const RUN_DESCRIPTION = 'serve stdin through a warm copy of a record tool (started once, reused by later calls, keyed by the content of its files)';

export function runUsage(): string {
  const rows = RUN_OPTIONS.map((o) => [`${o.short !== undefined ? `${o.short}, ` : '    '}${o.long} <${o.value}>`, o.description] as const);
  const width = Math.max(...rows.map(([flags]) => flags.length));
  return [
    'Usage: pipe run [options] -- <command...>',
    '',
    RUN_DESCRIPTION,
    '',
    'Options:',
    ...rows.map(([flags, d]) => `  ${flags.padEnd(width)}  ${d}`),
    `  ${'-h, --help'.padEnd(width)}  display help for command`,
    '',
    'Example: cat in.txt | pipe run -t "^$" -- ./parse -m model > out.txt',
    '',
  ].join('\n');
}

/** Parses the arguments after `run`; the error quotes the bad value and what was expected. */
export function parseRunArgs(args: readonly string[]): { ok: true; value: RunArgs } | { ok: false; error: string } {
  const out: RunArgs = { command: [], prelude: 0, help: false };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') break; // the command starts here
    let name = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq !== -1) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else if (!arg.startsWith('--') && arg.length > 2) {
      name = arg.slice(0, 2);
      value = arg.slice(2);
    }
    const spec = RUN_OPTIONS.find((o) => o.short === name || o.long === name);
    if (spec === undefined) return { ok: false, error: `unknown option '${arg}' (see pipe run --help)` };
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) return { ok: false, error: `option '${name}' needs a <${spec.value}>` };
    }
    const problem = setOption(out, spec.long, value);
    if (problem !== null) return { ok: false, error: `option '${name}': ${problem}` };
  }
  out.command = args.slice(i);
  if (out.command.length === 0 && !out.help) return { ok: false, error: 'missing the command to run, e.g. pipe run -- ./parse -m model' };
  if (out.input !== undefined && out.output === undefined) out.output = out.input;
  // -T alone: every input line is a record, answered by a terminated block.
  if (out.output !== undefined && out.input === undefined) out.input = '';
  return { ok: true, value: out };
}

function setOption(out: RunArgs, long: string, value: string): string | null {
  switch (long) {
    case '--input-term':
    case '--output-term': {
      try {
        new RegExp(value);
      } catch (e) {
        return `'${value}' is not a valid regular expression (${(e as Error).message})`;
      }
      if (long === '--input-term') out.input = value;
      else out.output = value;
      return null;
    }
    case '--prelude':
      return integer(value, 0, 1_000_000, (n) => (out.prelude = n));
    case '--instances':
      return integer(value, 1, 64, (n) => (out.instances = n));
    case '--timeout-ms':
      return integer(value, 1, 2 ** 31 - 1, (n) => (out.timeoutMs = n));
    case '--idle': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 2_000_000) return `expected seconds > 0, got '${value}'`;
      out.idleSeconds = n;
      return null;
    }
    default:
      return `unhandled option ${long}`;
  }
}

function integer(value: string, min: number, max: number, set: (n: number) => void): string | null {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) return `expected a whole number from ${min} to ${max}, got '${value}'`;
  set(n);
  return null;
}

// ==== identity ===============================================================================
//
// The identity of a command: the executable resolved on PATH, every argument naming an
// existing file or directory, the cwd and the framing options, files named by content digest
// (SHA-256, as src/hash/digest.ts). Digests are cached by (size, mtime, ctime, inode) in
// `.pipe/run/digests.json`, so an unchanged tool costs one stat per file.

export interface RunFraming {
  /** Input record terminator regex source (viasock -t); absent: line records. */
  input?: string;
  /** Output record terminator regex source (viasock -T). */
  output?: string;
  /** Output records the tool prints once at start-up (viasock -P). */
  prelude: number;
}

export interface RunIdentity {
  /** 16 hex digits naming the server: a hash of `descriptor`. */
  key: string;
  /** 16 hex digits naming the command as typed (without contents): servers of one command share it. */
  slot: string;
  /** Everything the server's tool depends on, content digests included; servers compare it in full. */
  descriptor: string;
  /** argv with argv[0] resolved to an absolute path. */
  argv: string[];
}

export type IdentityFailure = { reason: 'command-not-found'; command: string; searched: string };

/** A file changed within this long of being hashed may change again unseen in the same tick (git's "racily clean"). */
const RACY_WINDOW_MS = 20;
/** Files hashed in one read; larger ones are read in slices. */
const SLICE = 4 * 1024 * 1024;
/** A directory argument is hashed file by file up to this many files; the rest count by name and stat. */
const MAX_TREE_FILES = 2000;
/** The cache forgets its oldest entries beyond this. */
const MAX_CACHE_ENTRIES = 4000;

type CacheEntry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, hashedAt: number, digest: string];

interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(encoding: 'base64url'): string;
}

export async function runIdentity(command: readonly string[], cwd: string, framing: RunFraming, env: NodeJS.ProcessEnv, dir: string): Promise<{ ok: true; value: RunIdentity } | { ok: false; error: IdentityFailure }> {
  const argv0 = command[0] ?? '';
  const executable = resolveExecutable(argv0, cwd, env);
  if (executable === undefined) {
    return { ok: false, error: { reason: 'command-not-found', command: argv0, searched: searchedFor(argv0, cwd, env) } };
  }
  const cache = new DigestCache(digestCachePath(dir));
  const files: [string, string][] = [];
  const exeStat = statSync(executable);
  files.push(['<executable>', await cache.digest(executable, exeStat)]);
  for (const arg of command.slice(1)) {
    const value = arg.startsWith('-') && arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg;
    if (value === '' || value.startsWith('-')) continue;
    const abs = resolve(cwd, value);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (st.isFile()) files.push([value, await cache.digest(abs, st)]);
    else if (st.isDirectory()) files.push([`${value}/`, await treeDigest(abs, cache)]);
  }
  cache.save();
  const argv = [executable, ...command.slice(1)];
  const frame = [framing.input ?? null, framing.output ?? null, framing.prelude];
  const descriptor = JSON.stringify({ v: PROTOCOL_VERSION, cwd, argv, framing: frame, files });
  return {
    ok: true,
    value: { key: shortHash(descriptor), slot: shortHash(JSON.stringify([PROTOCOL_VERSION, cwd, command, frame])), descriptor, argv },
  };
}

/** Names and content digests of the files under `root`, in a fixed order. */
async function treeDigest(root: string, cache: DigestCache): Promise<string> {
  const fields: string[] = [];
  let hashed = 0;
  for (const f of treeFiles(root)) {
    const st = statSync(f.abs, { throwIfNoEntry: false });
    if (st === undefined) continue;
    fields.push(f.rel, hashed++ < MAX_TREE_FILES ? await cache.digest(f.abs, st) : `stat:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`);
  }
  const h = await newHasher();
  return h.update(Buffer.from(fields.join('\u0000'), 'utf8')).digest('base64url');
}

let createHashFn: ((algorithm: string) => Hasher) | undefined;

/** node:crypto is loaded on first use only: most calls find every digest in the cache. */
async function newHasher(): Promise<Hasher> {
  createHashFn ??= (await import('node:crypto')).createHash as (algorithm: string) => Hasher;
  return createHashFn('sha256');
}

/** SHA-256 (base64url) of a file's content, read in slices so a model of gigabytes never sits in memory. */
async function hashFile(path: string): Promise<string> {
  const h = await newHasher();
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(SLICE);
    for (;;) {
      const n = readSync(fd, buf, 0, SLICE, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('base64url');
}

class DigestCache {
  readonly #path: string;
  #files: Record<string, CacheEntry> = {};
  #dirty = false;

  constructor(path: string) {
    this.#path = path;
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { v?: unknown; files?: unknown };
      if (parsed.v === 1 && typeof parsed.files === 'object' && parsed.files !== null) this.#files = parsed.files as Record<string, CacheEntry>;
    } catch {
      // Missing or corrupt: start empty; it is only a cache.
    }
  }

  async digest(path: string, st: Stats): Promise<string> {
    const e = this.#files[path];
    if (e !== undefined && e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino && st.mtimeMs < e[4] - RACY_WINDOW_MS && st.ctimeMs < e[4] - RACY_WINDOW_MS) {
      return e[5];
    }
    const hashedAt = Date.now();
    const digest = await hashFile(path);
    delete this.#files[path]; // re-inserted last: insertion order is age order for pruning
    this.#files[path] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, hashedAt, digest];
    this.#dirty = true;
    return digest;
  }

  /** Writes the cache if it changed (write + rename: concurrent callers never see half a file; the last one wins). */
  save(): void {
    if (!this.#dirty) return;
    const names = Object.keys(this.#files);
    for (const name of names.slice(0, Math.max(0, names.length - MAX_CACHE_ENTRIES))) delete this.#files[name];
    try {
      writeFileAtomic(this.#path, JSON.stringify({ v: 1, files: this.#files }), { mode: 0o600 });
    } catch {
      // Unwritable: the next call hashes again.
    }
  }
}

/**
 * 64 bits of a non-cryptographic hash (two seeded 32-bit lanes, cyrb53's mixing) as 16 hex
 * digits. It only names files; servers compare full descriptors, so a collision can cost a
 * refused call, never a stale answer.
 */
export function shortHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

// ==== rendezvous =============================================================================
//
// `.pipe/run/` of the directory the command runs in (0700) holds each server's socket,
// record and log; the socket moves to a private directory under the temp directory when
// the project path is too long for a unix socket address.

/** sun_path holds 108 bytes on Linux (104 on macOS) including the NUL; stay under both. */
const MAX_SOCKET_PATH = 100;

export const runDir = (cwd: string): string => join(cwd, '.pipe', 'run');

export const recordPath = (dir: string, key: string): string => join(dir, `${key}.json`);
export const serverLogPath = (dir: string, key: string): string => join(dir, `${key}.log`);
export const toolLogDir = (dir: string): string => join(dir, 'logs');
export const digestCachePath = (dir: string): string => join(dir, 'digests.json');

/** The socket of the server with this key (the key covers the cwd, so the fallback stays unique). */
export function socketPath(dir: string, key: string): string {
  const local = join(dir, `${key}.sock`);
  if (Buffer.byteLength(local) <= MAX_SOCKET_PATH) return local;
  return join(privateTmp(), `${key}.sock`);
}

function privateTmp(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `docpipe-run-${uid}`);
}

/** os.tmpdir() on POSIX, without loading node:os on the hot path. */
function tmpdir(): string {
  const dir = process.env['TMPDIR'] || process.env['TMP'] || process.env['TEMP'] || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/**
 * Creates the run directory (0700) and, when sockets live in the temp fallback, that one
 * too. Refuses either when it is a symlink or belongs to another user.
 */
export function ensureDirs(dir: string, socket: string): void {
  mkdirSync(dirname(dir), { recursive: true }); // .pipe/ keeps the default mode; only run/ is private
  for (const d of new Set([dir, dirname(socket)])) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    const st = lstatSync(d);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== uid) throw new Error(`${d} is not a directory owned by this user; remove it`);
    if ((st.mode & 0o777) !== 0o700) chmodSync(d, 0o700);
  }
}

// ==== frames =================================================================================
//
// Both directions: a 4-byte big-endian length, that many bytes of header JSON, then raw
// body bytes until the writer half-closes (see protocol.ts).

/** Bumped on any incompatible change; it is part of every server key, so a new client never talks to an old server. */
export const PROTOCOL_VERSION = 1;

/** Largest header either side accepts. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export function encodeHeader(header: object): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const frame = Buffer.allocUnsafe(4 + json.length);
  frame.writeUInt32BE(json.length, 0);
  json.copy(frame, 4);
  return frame;
}

/**
 * Collects bytes until a whole header has arrived. `push` returns null while incomplete,
 * then `{header, rest}` once (rest: the body bytes that came with it); throws on a bad frame.
 */
export class HeaderReader {
  #chunks: Buffer[] = [];
  #length = 0;
  #done = false;

  push(chunk: Buffer): { header: unknown; rest: Buffer } | null {
    if (this.#done) throw new Error('HeaderReader: header already read');
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length < 4) return null;
    const all = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [all];
    const size = all.readUInt32BE(0);
    if (size > MAX_HEADER_BYTES) throw new Error(`header of ${size} bytes (at most ${MAX_HEADER_BYTES})`);
    if (all.length < 4 + size) return null;
    this.#done = true;
    this.#chunks = [];
    const header: unknown = JSON.parse(all.toString('utf8', 4, 4 + size));
    return { header, rest: all.subarray(4 + size) };
  }
}

// ==== the call =================================================================================

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
