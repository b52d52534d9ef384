// What a build reports, as data: the scheduler emits these events and the reporters (terminal,
// JSON, daemon clients, watch) render them. Failures are values with a kebab-case reason.
import type { IdentityFailure } from '../hash/tool-identity.js';
import type { ColdFailure } from '../tools/cold-runner.js';
import type { WarmFailure } from '../tools/warm-pool.js';

export type TaskFailure =
  | { reason: 'missing-input'; path: string }
  | IdentityFailure
  | ColdFailure
  | { reason: 'missing-output'; path: string }
  | { reason: 'output-unwritable'; path: string; message: string }
  /** A system call failed on a file (read-only file system, disk full, a file deleted mid-build). */
  | { reason: 'io-error'; op: string; path: string; code: string }
  /** The state store could not record the build (disk full under .pipe/state). */
  | { reason: 'store-write-failed'; dir: string; message: string }
  /** A bug in docpipe: a throw inside a task, turned into a value by the scheduler's guard. */
  | { reason: 'internal-error'; message: string; log: string | undefined }
  | { reason: 'warm'; failure: WarmFailure };

export type Outcome = 'fresh' | 'built' | 'restored' | 'failed' | 'skipped' | 'would-run';

export type BuildEvent =
  | { type: 'plan'; tasks: number }
  | { type: 'start'; rule: string; target: string; reasons: string[]; completed: number }
  | { type: 'finish'; rule: string; target: string; outcome: Outcome; ms: number; unchanged: boolean; completed: number }
  | { type: 'fail'; rule: string; target: string; command: string[]; failure: TaskFailure; completed: number }
  | { type: 'would-run'; rule: string; target: string; command: string[]; reasons: string[]; completed: number }
  /** A warm instance owes an answer and has been silent for `quietMs` (see WarmEvent). */
  | { type: 'warm-waiting'; tool: string; pid: number; awaiting: 'start-up' | 'answer'; record: number; quietMs: number; deadlineMs: number }
  /** `failure`: the build could not be recorded (its outputs will be rebuilt next time). */
  | { type: 'done'; ok: boolean; counts: Record<Outcome, number>; ms: number; noPlan?: boolean; failure?: TaskFailure };
