// The plain-data protocol between `pipe run` clients and their servers, over a unix socket.
//
// Both directions use one frame: a 4-byte big-endian length, that many bytes of header
// JSON, then raw body bytes until the writer half-closes. Binary-safe and cheap to parse.
//
//   client ──► [len][{"type":"run","v":1,"identity":...}][stdin bytes...] (half-close)
//   server ──► [len][{"ok":true}][output bytes...] (close)
//
// Types only (erased at run time): the frame codec itself lives in client.ts, the one
// module the hot path loads.

// ---- requests ---------------------------------------------------------------------------------

/** One document: the body is the document, the response body its output. */
export interface RunRequest {
  type: 'run';
  v: number;
  /** The caller's full identity descriptor; the server serves only its own. */
  identity: string;
  /** Per-call settings the server adopts (they do not change the tool's identity). */
  timeoutMs?: number;
  instances?: number;
  idleSeconds?: number;
}

/** What runs here: answered with a ToolsResponse, no body. The daemon answers it too. */
export interface ToolsRequest {
  type: 'tools';
  v?: number;
}

/** A newer server for the same command has started: finish in-flight calls, then exit. */
export interface RetireRequest {
  type: 'retire';
  v: number;
  /** Key of the newer server, for the log. */
  by: string;
}

export type Request = RunRequest | ToolsRequest | RetireRequest;


// ---- responses ----------------------------------------------------------------------------

/**
 * Why a call failed, as data:
 * - `tool-failed`: the tool crashed, timed out or broke the record protocol (message names
 *   the tool, the record and the tail of its stderr);
 * - `identity-mismatch`: the server runs another tool version (the key hash collided);
 * - `version-mismatch`: client and server speak different protocol versions;
 * - `retiring`: the server is shutting down; start or find another;
 * - `bad-request`: a malformed frame or header.
 */
export type FailureReason = 'tool-failed' | 'identity-mismatch' | 'version-mismatch' | 'retiring' | 'bad-request';

export type RunResponse =
  /** `bytes` of output follow the header. */
  | { ok: true; bytes: number }
  | { ok: false; reason: FailureReason; message: string };

/** A `pipe run` server as it describes itself (also written to `.pipe/run/<key>.json`). */
export interface ServerRecord {
  v: number;
  pid: number;
  /** Short hash of the identity: names the socket and the files. */
  key: string;
  /** Short hash of the command as typed (cwd, argv, framing), without content digests: servers of one command share it. */
  slot: string;
  socket: string;
  cwd: string;
  argv: string[];
  startedAt: number;
  /** The server's own log (tools' stderr goes to `logs/`). */
  log: string;
}

/** One warm instance as `pipe tools` shows it (WarmInstanceInfo's fields). */
export interface InstanceReport {
  tool: string;
  pid: number;
  identity: string;
  state: string;
  records: number;
  documents?: number;
  startedAt: number;
  rssBytes: number | null;
}

/** The server acknowledges and starts draining. */
export type RetireResponse = { ok: true };

export type ToolsResponse = { ok: true; server?: ServerRecord; instances: InstanceReport[] } | { ok: false; reason: FailureReason; message: string };
