// The plain-data shapes of the warm tool pool: specs in, failures and instance reports out.
// warm-pool.ts re-exports all of them; they live here so warm-instance.ts can share them.

/**
 * `sentinel`: text of the marker record (default DEFAULT_SENTINEL in sentinel.ts). Under the
 * 'sentinel' framing it ends every document; under 'lines' and 'terminated' it follows every
 * document as a verifier, so a tool that wrote more or fewer records than it was sent fails
 * the document instead of shifting answers. null: no verifier (for a tool whose answer to a
 * line depends on the lines before it).
 */
export type Framing =
  /** One line in, one line out. */
  | { kind: 'lines'; sentinel?: string | null }
  /**
   * Multi-line records: an input record ends with a line matching `input`, an output record
   * with a line matching `output` (viasock -t/-T). `/^$/` means blank-line separated blocks.
   * The verifier needs `input` to accept an empty line.
   */
  | { kind: 'terminated'; input: RegExp; output: RegExp; sentinel?: string | null }
  /**
   * Any stdin->stdout tool that flushes: after each document a sentinel line is written,
   * and everything before the tool's answer to it (learned at start-up) is the output.
   * For tools that answer a line with nothing or with several records.
   */
  | { kind: 'sentinel'; sentinel?: string }
  /**
   * Bazel's JSON persistent-worker protocol. Each document is one request,
   * `{"requestId": n, "arguments": [<document text>], "inputs": []}`, answered by
   * `{"requestId": n, "exitCode": 0, "output": "<output text>"}`; one line each.
   */
  | { kind: 'json' };

export interface WarmToolSpec {
  /** Tool name from config, used in messages and log file names. */
  name: string;
  /** Content hash of the tool (executable + files + env). */
  identity: string;
  /** argv[0] is an absolute path. */
  argv: readonly string[];
  cwd: string;
  /** The complete environment of the child. */
  env: Record<string, string>;
  framing: Framing;
  /**
   * Names of environment variables the tool declared (config `env`). Given, only these,
   * PATH and the locale variables tell instances apart (see specKey); omitted, all of `env`.
   */
  keyEnv?: readonly string[];
  /** First N output records printed once at start-up; prepended to every document's output. */
  prelude: number;
  /** Longest one record may take. */
  timeoutMs: number;
  /**
   * Extra time a fresh instance gets for start-up (loading a model): the prelude must arrive
   * within it, and without a prelude the first answer within startupMs + timeoutMs.
   * Default 60000. (An addition to the agreed interface; optional.)
   */
  startupMs?: number;
  /** Most copies of this tool running at once. */
  instances: number;
  /** Stop an instance unused this long. */
  idleMs: number;
  /** Retry a document that crashed, timed out or broke the protocol this many times. */
  retries: number;
  /** 'per-document': each document gets a fresh instance (started while the previous one works). */
  restart?: 'per-document';
}

/**
 * Why a document could not be processed. `record` is 1-based; 0 means the failure did not
 * happen during a record: while reading the start-up prelude, or while the tool was idle.
 */
export type WarmFailure =
  /** The tool exited (or closed its pipes) while a document was in flight. */
  | {
      reason: 'tool-crashed';
      tool: string;
      record: number;
      exitCode: number | null;
      signal: string | null;
      stderrTail: string;
    }
  /** A record took longer than `timeoutMs`; the instance was killed. `hint` names likely fixes. */
  | { reason: 'record-timeout'; tool: string; record: number; afterMs: number; stderrTail: string; hint: string }
  /** stdout carried something that is not the expected records; the instance was killed. */
  | { reason: 'protocol-error'; tool: string; record: number; detail: string; stderrTail: string }
  /**
   * The answer after the document's records was not the tool's answer to the sentinel:
   * the tool wrote more (or fewer) records than it was sent. Nothing of the document is
   * kept; the instance was killed.
   */
  | { reason: 'misaligned-output'; tool: string; record: number; detail: string; stderrTail: string }
  /** The process could not be started at all (missing executable, bad cwd, permissions). */
  | { reason: 'spawn-failed'; tool: string; message: string }
  /** JSON framing only: the worker answered the request with a non-zero exitCode. */
  | { reason: 'request-failed'; tool: string; exitCode: number; message: string }
  /**
   * The tool's spec changed (new identity, argv, env...) while this document waited for an
   * instance; it was not run with the stale tool. Run it again with the new spec.
   */
  | { reason: 'tool-replaced'; tool: string; identity: string };

/**
 * Life of an instance:
 *
 *   spawn ──► starting ──(spawned, prelude read)──► idle ◄──(document done)── busy
 *                │                                   │ └────(document given)───►│
 *                │                                   │                          │
 *                │                      (idleMs, evicted, close)    (tool replaced while
 *                │                                   │               holding documents)
 *                │                                   ▼                          ▼
 *                │                               stopping ◄──(documents done)── retiring
 *                │                                   │
 *                └──(exit, crash, timeout, ──────► dead ◄──(exit)
 *                    protocol error: from any state, via a kill)
 *
 * `starting` and `retiring` may hold documents: a document given to a starting instance is
 * written once the prelude has been read. Only `starting`, `idle` and `busy` take new work.
 */
export type InstanceState = 'starting' | 'idle' | 'busy' | 'retiring' | 'stopping' | 'dead';

export interface WarmInstanceInfo {
  tool: string;
  pid: number;
  identity: string;
  state: InstanceState;
  /** Output records answered over the instance's life (prelude excluded). */
  records: number;
  /** Documents completed. */
  documents: number;
  /** Date.now() at spawn. */
  startedAt: number;
  /** Resident memory from /proc/<pid>/status (VmRSS); null where unavailable. */
  rssBytes: number | null;
}

/** What the pool reports as it goes (optional; failures of documents also come back as results). */
export type WarmEvent =
  | { kind: 'instance-started'; tool: string; pid: number; identity: string }
  | { kind: 'instance-stopped'; tool: string; pid: number; why: StopReason }
  /**
   * An instance failed with no document to blame it on, e.g. it wrote to stdout while idle.
   * The same failure is also returned by the next `process()` call for that tool.
   */
  | { kind: 'instance-failed'; tool: string; pid: number; failure: WarmFailure }
  /**
   * Nothing has come from the instance for `quietMs` while it owes an answer: its start-up
   * (prelude, answer to the marker) or `record` (1-based) of a document. Repeated every few
   * seconds of silence, so a hung or block-buffering tool is named long before its deadline.
   */
  | { kind: 'warm-waiting'; tool: string; pid: number; awaiting: 'start-up' | 'answer'; record: number; quietMs: number; deadlineMs: number };

export type StopReason = 'idle' | 'evicted' | 'retired' | 'closed' | 'failed' | 'exited';
