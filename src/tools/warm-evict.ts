// Chooses which idle instances give their process slot to tools that wait for one.

import { performance } from 'node:perf_hooks';
import { unreachable } from '../util/result.js';
import type { WarmInstance } from './warm-instance.js';

/** An idle instance gives its place to another tool's extra instance only after this long unused. */
export const GROWTH_IDLE_MS = 1000;

/**
 * Makes room for new instances: instances already stopping will free their slot; beyond
 * those, the least recently used idle instances (of any tool) are chosen. A tool with no
 * instance at all (`starving`) may take any idle one's place; a tool that merely wants
 * more parallelism (`growth`) only takes the place of instances idle for GROWTH_IDLE_MS,
 * or two busy pipeline stages would evict each other between documents and pay a
 * start-up (a model load) each time.
 */
export function chooseEvictions(all: Iterable<WarmInstance>, starving: number, growth: number): WarmInstance[] {
  const idle: WarmInstance[] = [];
  let stopping = 0;
  for (const instance of all) {
    switch (instance.state) {
      case 'stopping':
        stopping++;
        break;
      case 'idle':
        if (instance.load === 0) idle.push(instance);
        break;
      case 'starting':
      case 'busy':
      case 'retiring':
      case 'dead':
        break;
      default:
        unreachable(instance.state);
    }
  }
  idle.sort((a, b) => a.lastUsed - b.lastUsed);
  const now = performance.now();
  let budget = Math.max(0, starving + growth - stopping);
  let forStarving = Math.max(0, starving - stopping);
  const chosen: WarmInstance[] = [];
  for (const instance of idle) {
    if (budget === 0) break;
    const longIdle = now - instance.lastUsed >= GROWTH_IDLE_MS;
    if (forStarving === 0 && !longIdle) continue;
    if (forStarving > 0) forStarving--;
    budget--;
    chosen.push(instance);
  }
  return chosen;
}
