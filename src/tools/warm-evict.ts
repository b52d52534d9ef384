// Chooses which idle instances give their process slot to tools that wait for one.

import { performance } from 'node:perf_hooks';
import { unreachable } from '../util/result.js';
import type { InstanceState } from './warm-types.js';

/** What eviction needs of an instance. */
export interface Evictable {
  readonly state: InstanceState;
  readonly load: number;
  /** performance.now() when it last finished a document or its start-up. */
  readonly lastUsed: number;
  /** How long its start-up took; null: not measured. */
  readonly startupMs: number | null;
}

/** An idle instance gives its place to another tool's extra instance only after this long unused. */
export const GROWTH_IDLE_MS = 1000;

/**
 * Makes room for new instances: instances already stopping will free their slot; beyond
 * those, the least recently used idle instances (of any tool) are chosen. A tool with no
 * instance at all (`starving`) may take any idle one's place; a tool that merely wants
 * more parallelism (`growth`) only takes the place of instances idle for GROWTH_IDLE_MS,
 * or two busy pipeline stages would evict each other between documents and pay a
 * start-up (a model load) each time. Like renting skis, an instance is kept idle for at
 * least as long as its start-up took before growth may take its place: an instance that
 * just paid a 3 s model load is the most valuable thing the pool holds.
 */
export function chooseEvictions<T extends Evictable>(all: Iterable<T>, starving: number, growth: number, now = performance.now()): T[] {
  const idle: T[] = [];
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
  let budget = Math.max(0, starving + growth - stopping);
  let forStarving = Math.max(0, starving - stopping);
  const chosen: T[] = [];
  for (const instance of idle) {
    if (budget === 0) break;
    const longIdle = now - instance.lastUsed >= Math.max(GROWTH_IDLE_MS, instance.startupMs ?? 0);
    if (forStarving === 0 && !longIdle) continue;
    if (forStarving > 0) forStarving--;
    budget--;
    chosen.push(instance);
  }
  return chosen;
}
