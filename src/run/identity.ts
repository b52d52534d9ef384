// The identity of a `pipe run` command: the executable resolved on PATH, every argument
// naming an existing file or directory, the cwd and the framing options, files named by
// content digest (SHA-256, as src/hash/digest.ts). Digests are cached by (size, mtime,
// ctime, inode) in `.pipe/run/digests.json`, so an unchanged tool costs one stat per file.
// Loaded by the bundled run client: node:fs and node:path (node:crypto only to hash a file).
import { closeSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { stampOf, unchangedSince } from '../hash/file-stamp.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { resolveExecutable, searchedFor } from '../util/resolve-executable.js';
import { treeFiles } from '../util/tree-files.js';
import { PROTOCOL_VERSION } from './frames.js';
import { digestCachePath } from './rendezvous.js';

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
    if (e !== undefined && unchangedSince({ size: e[0], mtimeMs: e[1], ctimeMs: e[2], ino: e[3] }, e[4], stampOf(st))) {
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
