// A task's fingerprint: the substituted command line, the tool identity, the settings that
// shape its output (output-settings.ts) and the input digests, in a fixed order. Equal fingerprints (and intact outputs) mean up to date; the
// stage key that addresses the output cache is the fingerprint's digest.
import type { Digest } from '../hash/digest.js';
import type { ToolIdentity } from '../hash/tool-identity.js';
import type { Task } from '../plan/graph.js';
import type { TaskDetail } from '../store/state-store.js';
import { outputSettings } from './output-settings.js';

// 2: output settings (warm framing, prelude) joined the key.
const VERSION = 'docpipe-fp-2';

export interface Fingerprint {
  text: string;
  command: string[];
  /** outputSettings(tool): warm framing and prelude. */
  settings: string;
  inputs: [string, Digest][];
}

export function fingerprint(task: Task, command: readonly string[], tool: ToolIdentity, inputs: [string, Digest][]): Fingerprint {
  const settings = outputSettings(task.rule.tool);
  const mode = `${task.rule.stdin ? 'stdin' : 'args'}>${task.rule.stdout ? 'stdout' : 'args'}`;
  const text = [
    VERSION,
    task.rule.name,
    mode,
    command.join('\u0001'),
    tool.digest,
    settings,
    inputs.join(';'),
    task.outputs.join(';'),
  ].join('\n');
  return { text, command: [...command], settings, inputs };
}

/** Placeholder digest, in dry runs, of an input an upstream task would rebuild first. */
export const PENDING = 'pending' as Digest;

/** Why a task with this fingerprint is stale against its record; empty if nothing it can see differs. */
export function explainChange(rec: TaskDetail | undefined, fp: Fingerprint, tool: ToolIdentity): string[] {
  if (rec === undefined) return ['never built'];
  const reasons: string[] = [];
  const before = new Map(rec.inputs);
  const now = new Map(fp.inputs);
  for (const [p, d] of fp.inputs) {
    // A dry run's input that an upstream task will rebuild has no digest yet.
    if (d === PENDING) continue;
    const old = before.get(p);
    if (old === undefined) reasons.push(`input ${p} is new`);
    else if (old !== d) reasons.push(`input ${p} changed`);
  }
  for (const [p] of rec.inputs) if (!now.has(p)) reasons.push(`input ${p} was removed`);
  if (rec.tool.digest !== tool.digest) {
    const oldParts = new Map(rec.tool.parts.map((x) => [`${x.kind}:${x.name}`, x.digest]));
    const newKeys = new Set<string>();
    for (const part of tool.parts) {
      const k = `${part.kind}:${part.name}`;
      newKeys.add(k);
      const old = oldParts.get(k);
      const what = part.kind === 'executable' ? `executable ${part.name}` : part.kind === 'env' ? `env ${part.name}` : `file ${part.name}`;
      if (old === undefined) reasons.push(`tool ${what} is new to its identity`);
      else if (old !== part.digest) reasons.push(`tool ${what} changed`);
    }
    for (const k of oldParts.keys()) if (!newKeys.has(k)) reasons.push(`tool ${k.replace(':', ' ')} is no longer part of its identity`);
    if (reasons.length === 0) reasons.push('tool identity changed');
  }
  // A record from before settings were kept: its key had another version (see VERSION).
  if (rec.settings === undefined) reasons.push('built by an older docpipe, whose stage keys did not cover warm settings');
  else if (rec.settings !== fp.settings) reasons.push(`warm settings changed: were ${rec.settings}, now ${fp.settings}`);
  if (JSON.stringify(rec.command) !== JSON.stringify(fp.command)) {
    reasons.push(`command line changed: was ${JSON.stringify(rec.command)}, now ${JSON.stringify(fp.command)}`);
  }
  return reasons;
}
