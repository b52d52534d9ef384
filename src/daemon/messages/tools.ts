// tools (client -> daemon): `pipe tools`. The daemon answers one `instances` line, the warm
// instances its pool holds (the same reports a `pipe run` server gives), then `exit` 0.
// A tools request is answered at once, not queued behind builds.
import type { InstanceReport } from '../../run/protocol.js';
import { isObject } from '../protocol.js';

export const TOOLS = 'tools';
export const INSTANCES = 'instances';

export interface ToolsMessage {
  type: typeof TOOLS;
}

export interface InstancesMessage {
  type: typeof INSTANCES;
  instances: InstanceReport[];
}

export function isToolsMessage(m: unknown): m is ToolsMessage {
  return isObject(m) && m['type'] === TOOLS;
}

export function isInstancesMessage(m: unknown): m is InstancesMessage {
  return isObject(m) && m['type'] === INSTANCES && Array.isArray(m['instances']);
}
