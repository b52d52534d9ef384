// event (daemon -> client): one BuildEvent, rendered by the client's own reporter so that
// output through the daemon is the same as without it.
import type { BuildEvent } from '../../engine/events.js';
import { isObject } from '../protocol.js';

export const EVENT = 'event';

export interface EventMessage {
  type: typeof EVENT;
  event: BuildEvent;
}

export function isEventMessage(m: unknown): m is EventMessage {
  return isObject(m) && m['type'] === EVENT && isObject(m['event']) && typeof m['event']['type'] === 'string';
}
