// Expands a task's command: `{input}`/`{output}` alone in an argument become one argument
// per path; inside a longer argument they are joined with spaces. `{input[N]}`,
// `{output[N]}` pick one path; `{wildcard}` is the bound value.
import type { Task } from '../plan/graph.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?\}/g;

export function commandFor(task: Task, outputs: readonly string[]): string[] {
  const argv: string[] = [];
  for (const arg of task.rule.tool.command) {
    if (arg === '{input}') argv.push(...task.inputs);
    else if (arg === '{output}') argv.push(...outputs);
    else if (!arg.includes('{')) argv.push(arg);
    else {
      argv.push(
        arg.replace(PLACEHOLDER, (whole, name: string, idx: string | undefined) => {
          const list = name === 'input' ? task.inputs : name === 'output' ? outputs : undefined;
          if (list === undefined) return task.bindings[name] ?? whole;
          return idx === undefined ? list.join(' ') : (list[Number(idx)] ?? '');
        }),
      );
    }
  }
  return argv;
}
