// Says why no task produces a requested target: which rule could make it and what it lacks,
// or, when no output pattern matches, the closest patterns.
import type { Pipeline } from '../config/validate.js';
import { closest } from '../util/closest.js';
import type { Plan } from './graph.js';

export function explainUnmatched(pipeline: Pipeline, plan: Plan, target: string, depth = 0): string[] {
  const lines: string[] = [];
  const pad = '  '.repeat(depth);
  for (const rule of pipeline.rules) {
    for (const out of rule.outputs) {
      if (rule.kind === 'gather') {
        if (out.source === target) lines.push(`${pad}rule '${rule.name}' makes ${target}, but no file matches its input ${rule.inputs.map((p) => `'${p.source}'`).join(', ')}`);
        continue;
      }
      const b = out.match(target);
      if (b === undefined) continue;
      const inputs = rule.inputs.map((p) => p.substitute(b));
      const missing = inputs.filter((i) => !plan.sources.has(i) && !plan.byOutput.has(i));
      if (missing.length === 0) continue;
      lines.push(`${pad}rule '${rule.name}' could make ${target} from ${inputs.join(', ')}, but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing${depth < 3 ? '' : ''}`);
      if (depth < 3) for (const m of missing) lines.push(...explainUnmatched(pipeline, plan, m, depth + 1));
    }
  }
  if (lines.length === 0 && depth === 0) {
    const patterns = pipeline.rules.flatMap((r) => r.outputs.map((p) => p.source));
    const near = closest(target, patterns, 3);
    lines.push(`no rule has an output pattern matching ${target}; ${near.length > 0 ? `closest patterns: ${near.join(', ')}` : `output patterns: ${patterns.join(', ')}`}`);
  }
  return lines;
}
