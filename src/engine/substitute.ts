// Expands a task's command: `{input}`/`{output}` alone in an argument become one argument
// per path; inside a longer argument they are joined with spaces. `{input[N]}`,
// `{output[N]}` pick one path; `{wildcard}` is the bound value. A relative path is passed so
// that no tool can read it as an option: `-n.txt` becomes `./-n.txt`.
import type { Task } from '../plan/graph.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?\}/g;

export function commandFor(task: Task, outputPaths: readonly string[]): string[] {
  const inputs = operands(task.inputs);
  const outputs = operands(outputPaths);
  const argv: string[] = [];
  for (const arg of task.rule.tool.command) {
    if (arg === '{input}') argv.push(...inputs);
    else if (arg === '{output}') argv.push(...outputs);
    else if (!arg.includes('{')) argv.push(arg);
    else {
      argv.push(
        arg.replace(PLACEHOLDER, (whole, name: string, idx: string | undefined) => {
          const list = name === 'input' ? inputs : name === 'output' ? outputs : undefined;
          if (list === undefined) return task.bindings[name] ?? whole;
          return idx === undefined ? list.join(' ') : (list[Number(idx)] ?? '');
        }),
      );
    }
  }
  return argv;
}

/** A path that starts with `-` would be an option to most tools; `./` keeps it a path. */
export function asOperand(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

// Every no-op build substitutes every task's command: copy only when a path needs it.
function operands(paths: readonly string[]): readonly string[] {
  return paths.some((p) => p.startsWith('-')) ? paths.map(asOperand) : paths;
}
