// On a terminal the progress line is erased when a build ends, so nothing would say what was
// rebuilt: this keeps the targets built, restored and failed, and names a few of each.
import type { BuildEvent } from '../engine/events.js';

const SHOWN = 5;

export class TargetSummary {
  readonly #built: string[] = [];
  readonly #restored: string[] = [];
  readonly #failed: string[] = [];

  note(e: BuildEvent): void {
    if (e.type === 'finish' && e.outcome === 'built') this.#built.push(e.target);
    else if (e.type === 'finish' && e.outcome === 'restored') this.#restored.push(e.target);
    else if (e.type === 'fail') this.#failed.push(e.target);
  }

  /** Lines (each ending in a newline) for the end of the build; '' when nothing ran. */
  render(): string {
    const groups: [string, string[]][] = [
      ['built', this.#built],
      ['restored from cache', this.#restored],
      ['failed', this.#failed],
    ];
    return groups
      .filter(([, list]) => list.length > 0)
      .map(([what, list]) => `${what}: ${names(list)}\n`)
      .join('');
  }
}

function names(list: string[]): string {
  const sorted = [...list].sort();
  return sorted.length <= SHOWN ? sorted.join(', ') : `${sorted.slice(0, SHOWN).join(', ')} and ${sorted.length - SHOWN} more`;
}
