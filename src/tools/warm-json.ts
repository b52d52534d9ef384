// Bazel JSON persistent-worker messages: one WorkRequest or WorkResponse per line.
//
// Proto3 JSON omits default values, so a response may lack `requestId` (0) and `exitCode`
// (0). Requests are numbered from 1; a response with id 0 is matched to the oldest request
// in flight, which is what a singleplex worker that ignores ids answers.

export interface WorkRequest {
  requestId: number;
  arguments: string[];
  inputs: never[];
}

export interface WorkResponse {
  requestId: number;
  exitCode: number;
  output: string;
}

export function encodeRequest(requestId: number, document: string): string {
  const request: WorkRequest = { requestId, arguments: [document], inputs: [] };
  return `${JSON.stringify(request)}\n`;
}

/** Parses one response line; the error says what is wrong with it. */
export function parseResponse(line: string): { ok: true; value: WorkResponse } | { ok: false; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ok: false, error: 'is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'is not a JSON object' };
  }
  const { requestId = 0, exitCode = 0, output = '' } = parsed as Record<string, unknown>;
  if (typeof requestId !== 'number' || !Number.isInteger(requestId) || requestId < 0) {
    return { ok: false, error: `has requestId ${JSON.stringify(requestId)}, expected a non-negative integer` };
  }
  if (typeof exitCode !== 'number' || !Number.isInteger(exitCode)) {
    return { ok: false, error: `has exitCode ${JSON.stringify(exitCode)}, expected an integer` };
  }
  if (typeof output !== 'string') {
    return { ok: false, error: `has output of type ${typeof output}, expected a string` };
  }
  return { ok: true, value: { requestId, exitCode, output } };
}
