// Runs one stale task: restore its outputs from the cache or run its tool (warm or cold) into
// temp files, hash them, move them into place, and record the new stage key. Throws only for
// system errors and bugs, which the scheduler's guard (task-guard.ts) turns into failures.
import { constants, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { digestFile, digestFileSync, type Digest } from '../hash/digest.js';
import type { ToolIdentity } from '../hash/tool-identity.js';
import type { Task } from '../plan/graph.js';
import { blobSize, removeQuietly } from '../store/output-cache.js';
import { runCold } from '../tools/cold-runner.js';
import { err, ok, type Result } from '../util/result.js';
import type { TaskFailure } from './events.js';
import type { Fingerprint } from './fingerprint.js';
import { moveIntoPlace, tempPathFor } from './place-output.js';
import type { Session } from './session.js';
import { commandFor } from './substitute.js';

export type WarmRunner = (task: Task, identity: ToolIdentity, stdinFiles: string[], stdoutFile: string, signal: AbortSignal) => Promise<Result<void, TaskFailure>>;

/** A task the scheduler found stale, with what its freshness check computed. */
export interface StaleTask {
  task: Task;
  fp: Fingerprint;
  key: Digest;
  identity: ToolIdentity;
}

export interface TaskResult {
  outcome: 'built' | 'restored';
  outputs: [string, Digest][];
}

export class TaskRunner {
  readonly #s: Session;
  readonly #useCache: boolean;
  readonly #warm: WarmRunner | undefined;
  readonly #signal: AbortSignal;
  readonly #createdDirs = new Set<string>();
  /** Cache saves, off the critical path; `settle` awaits them before the build ends. */
  readonly #saves: Promise<void>[] = [];

  constructor(session: Session, opts: { useCache: boolean; warm: WarmRunner | undefined; signal: AbortSignal }) {
    this.#s = session;
    this.#useCache = opts.useCache;
    this.#warm = opts.warm;
    this.#signal = opts.signal;
  }

  async settle(): Promise<void> {
    await Promise.all(this.#saves);
  }

  async run(p: StaleTask): Promise<Result<TaskResult, TaskFailure>> {
    const { task: t, fp, key } = p;
    const root = this.#s.root;
    const temps: string[] = [];
    try {
      for (const o of t.outputs) {
        const dir = dirname(join(root, o));
        if (!this.#createdDirs.has(dir)) {
          try {
            mkdirSync(dir, { recursive: true });
          } catch (e) {
            return err({ reason: 'output-unwritable', path: o, message: (e as Error).message });
          }
          this.#createdDirs.add(dir);
        }
        temps.push(tempPathFor(this.#s.tmpDir, o));
      }

      let outcome: 'built' | 'restored' = 'built';
      const cached = this.#useCache ? await this.#s.cache.lookup(key) : undefined;
      if (cached !== undefined && cached.outputs.length === t.outputs.length && this.#restore(cached.outputs, temps)) {
        outcome = 'restored';
        await this.#s.cache.touch(cached);
      } else {
        const r = await this.#runTool(p, temps);
        if (!r.ok) return r;
      }

      // Hash temps, then move into place: a reader never sees a half-written output.
      const produced: { abs: string; rel: string; digest: Digest; size: number }[] = [];
      for (let i = 0; i < t.outputs.length; i++) {
        const rel = t.outputs[i] as string;
        const tmp = temps[i] as string;
        const size = blobSize(tmp);
        if (size === undefined) return err({ reason: 'missing-output', path: rel });
        const digest = await digestFile(tmp, size);
        produced.push({ abs: join(root, rel), rel, digest, size });
      }
      for (let i = 0; i < produced.length; i++) {
        const o = produced[i] as (typeof produced)[number];
        try {
          moveIntoPlace(temps[i] as string, o.abs);
        } catch (e) {
          return err({ reason: 'output-unwritable', path: o.rel, message: (e as Error).message });
        }
        this.#s.stats.record(o.rel, statSync(o.abs), o.digest);
      }
      const outputs = produced.map((o): [string, Digest] => [o.rel, o.digest]);
      this.#s.setRecord(t.id, {
        record: { key, outputs },
        detail: { rule: t.rule.name, command: fp.command, tool: { digest: p.identity.digest, parts: p.identity.parts }, settings: fp.settings, inputs: fp.inputs, builtAt: Date.now() },
      });
      // Off the critical path: dependants may start; the build awaits every save before it ends.
      if (outcome === 'built') this.#saves.push(this.#s.cache.save(key, produced).catch(() => undefined));
      return ok({ outcome, outputs });
    } finally {
      for (const tmp of temps) removeQuietly(tmp);
    }
  }

  /** Copies cached blobs to the temps, verifying each digest; false (a miss) on any mismatch. */
  #restore(outputs: [string, Digest][], temps: string[]): boolean {
    for (let i = 0; i < outputs.length; i++) {
      const [, d] = outputs[i] as [string, Digest];
      const tmp = temps[i] as string;
      const blob = this.#s.cache.blobPath(d);
      copyFileSync(blob, tmp, constants.COPYFILE_FICLONE);
      if (digestFileSync(tmp) !== d) {
        // Edited in place through its output's hard link: drop it so the next save recreates it.
        removeQuietly(blob);
        return false;
      }
    }
    return true;
  }

  async #runTool(p: StaleTask, temps: string[]): Promise<Result<void, TaskFailure>> {
    const t = p.task;
    const root = this.#s.root;
    const tool = t.rule.tool;
    const stdinFiles = t.rule.stdin ? t.inputs.map((i) => join(root, i)) : null;
    const stdoutFile = t.rule.stdout ? (temps[0] as string) : null;
    if (tool.warm !== null && this.#warm !== undefined && stdinFiles !== null && stdoutFile !== null) {
      return this.#warm(t, p.identity, stdinFiles, stdoutFile, this.#signal);
    }
    const argv = commandFor(t, temps);
    const r = await runCold({
      executable: p.identity.executable,
      args: argv.slice(1),
      cwd: root,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdinFiles,
      stdoutFile,
      timeoutMs: tool.timeoutMs,
      signal: this.#signal,
    });
    if (!r.ok) return r;
    // A tool with {output} placeholders must create every output itself.
    for (let i = 0; i < temps.length; i++) {
      if (blobSize(temps[i] as string) === undefined) return err({ reason: 'missing-output', path: t.outputs[i] as string });
    }
    return ok(undefined);
  }
}
