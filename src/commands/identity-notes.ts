// The one-time warning for what a tool's identity cannot see (a command or file named by a
// shell variable; see hash/wrapped-command.ts): printed once per project for each tool and
// text, remembered in .pipe/identity-notes.json. `pipe why` repeats it every time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '../config/validate.js';
import type { Session } from '../engine/session.js';
import { toolIdentity } from '../hash/tool-identity.js';
import type { Task } from '../plan/graph.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Io } from './io.js';

/** The note for one tool, or undefined when its identity sees everything it runs. */
export function coverageNote(session: Session, tool: Tool): string | undefined {
  const id = toolIdentity(tool, session.root, session.stats);
  if (!id.ok || id.value.uncovered.length === 0) return undefined;
  return `tool ${tool.name}'s identity does not cover: ${id.value.uncovered.join('; ')} (list such files in its \`files\`)`;
}

/** Warns about each tool of `tasks` whose note this project has not shown yet. */
export function warnUncoveredOnce(session: Session, tasks: readonly Task[], io: Io): void {
  const tools = new Map<string, Tool>();
  for (const t of tasks) tools.set(t.rule.tool.name, t.rule.tool);
  const path = join(session.pipeDir, 'identity-notes.json');
  let shown: string[] = [];
  try {
    shown = JSON.parse(readFileSync(path, 'utf8')) as string[];
  } catch {
    // None shown yet (or unreadable: showing a note twice is harmless).
  }
  const before = shown.length;
  for (const tool of tools.values()) {
    const note = coverageNote(session, tool);
    if (note === undefined || shown.includes(note)) continue;
    io.err(`pipe: note: ${note}\n`);
    shown.push(note);
  }
  if (shown.length > before) {
    try {
      writeFileAtomic(path, JSON.stringify(shown));
    } catch {
      // Only means the note is shown again next time.
    }
  }
}
