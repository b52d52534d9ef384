// Every message of the daemon protocol, by direction. The daemon dispatches client messages
// through a handler map keyed by `type` (see server.ts), never an if/else chain.
import { CANCEL, isCancelMessage, type CancelMessage } from './cancel.js';
import { BUILD, isBuildMessage, type BuildMessage } from './build.js';
import { HELLO, isHelloMessage, type HelloMessage } from './hello.js';
import { isStatusMessage, STATUS, type StatusMessage } from './status.js';
import { isStopMessage, STOP, type StopMessage } from './stop.js';
import { isWatchMessage, WATCH, type WatchMessage } from './watch.js';
import { isToolsMessage, TOOLS, type InstancesMessage, type ToolsMessage } from './tools.js';
import { isWhyMessage, WHY, type WhyMessage } from './why.js';
import type { EventMessage } from './event.js';
import type { ExitMessage } from './exit.js';
import type { OutputMessage } from './output.js';
import type { WelcomeMessage } from './welcome.js';

export type ClientMessage = HelloMessage | BuildMessage | WhyMessage | StatusMessage | WatchMessage | CancelMessage | StopMessage | ToolsMessage;
export type DaemonMessage = WelcomeMessage | EventMessage | OutputMessage | ExitMessage | InstancesMessage;

type Guards = { [K in ClientMessage['type']]: (m: unknown) => m is Extract<ClientMessage, { type: K }> };

const CLIENT_GUARDS: Guards = {
  [HELLO]: isHelloMessage,
  [BUILD]: isBuildMessage,
  [WHY]: isWhyMessage,
  [STATUS]: isStatusMessage,
  [WATCH]: isWatchMessage,
  [CANCEL]: isCancelMessage,
  [STOP]: isStopMessage,
  [TOOLS]: isToolsMessage,
};

/** The message if it is a well-formed client message, else a description of what is wrong. */
export function decodeClientMessage(m: unknown): { ok: true; value: ClientMessage } | { ok: false; error: string } {
  const type = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(CLIENT_GUARDS, type)) {
    return { ok: false, error: `unknown message type ${JSON.stringify(type)}; expected one of ${Object.keys(CLIENT_GUARDS).join(', ')}` };
  }
  const guard = CLIENT_GUARDS[type as ClientMessage['type']];
  return guard(m) ? { ok: true, value: m } : { ok: false, error: `malformed ${type} message` };
}
