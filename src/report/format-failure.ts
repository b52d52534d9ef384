// Turns failures (values) into messages that name the file, rule, tool or path at fault.
import type { SessionFailure } from '../engine/session.js';
import type { TaskFailure } from '../engine/events.js';
import type { WarmFailure } from '../tools/warm-pool.js';
import { unreachable } from '../util/result.js';

export function formatSessionFailure(f: SessionFailure): string {
  switch (f.reason) {
    case 'config-not-found':
      return `no pipeline config found; looked for:\n${f.tried.map((t) => `  ${t}`).join('\n')}\nCreate pipeline.config.ts (see README) or pass --config FILE.`;
    case 'config-threw':
      return `loading ${f.file} failed:\n${indent(f.message)}`;
    case 'config-no-default':
      return `${f.file} has no default export; export default { tools: {...}, rules: [...] }`;
    case 'invalid-config':
      return `invalid config:\n${f.diagnostics.map((d) => `  ${d.file}: ${d.at}: ${d.message}`).join('\n')}`;
    case 'store-locked':
      return `the state store ${f.dir} is held by another pipe process (waited ${Math.round(f.waitedMs / 1000)}s); let it finish, or run builds through the daemon`;
    case 'store-unreadable':
      return `cannot open the state store ${f.dir}: ${f.message}\nRemove ${f.dir} to start afresh (outputs will be rebuilt).`;
    case 'output-collision':
      return `rules '${f.rules[0]}' and '${f.rules[1]}' both produce ${f.path}; each output must have exactly one rule`;
    case 'cycle':
      return `dependency cycle: ${f.cycle.join(' -> ')}`;
    case 'input-is-output':
      return `rule '${f.rule}' reads ${f.path}, which it also writes`;
    case 'derivation-loop':
      return `rule '${f.rule}' would derive ${f.path} from a chain of ${f.steps} derivations: rules whose outputs match their own or each other's inputs derive without end. Last steps:\n${f.chain.map((c) => `  ${c}`).join('\n')}\nGive the outputs a directory or extension that no rule's input matches.`;
    default:
      return unreachable(f);
  }
}

export function formatTaskFailure(f: TaskFailure): string {
  switch (f.reason) {
    case 'missing-input':
      return `input ${f.path} does not exist`;
    case 'tool-not-found':
      return `tool '${f.tool}': executable '${f.command}' not found (searched ${f.searched})`;
    case 'tool-file-missing':
      return `tool '${f.tool}': declared file ${f.path} does not exist`;
    case 'tool-exit':
      return `${f.signal !== null ? `killed by ${f.signal}` : `exited with status ${f.exitCode}`}${tail(f.stderrTail)}`;
    case 'tool-timeout':
      return `timed out after ${f.afterMs} ms${tail(f.stderrTail)}`;
    case 'spawn-failed':
      return `could not start: ${f.message}`;
    case 'cancelled':
      return 'cancelled';
    case 'missing-output':
      return `the tool succeeded but did not write ${f.path}`;
    case 'output-unwritable':
      return `cannot write ${f.path}: ${f.message}`;
    case 'io-error':
      return `${f.op}${f.path !== '' ? ` ${f.path}` : ''} failed: ${ERRNO_TEXT[f.code] ?? 'system error'} (${f.code})`;
    case 'store-write-failed':
      return `cannot record the build in the state store ${f.dir}: ${f.message}. The outputs were written; tasks not recorded will run again next time`;
    case 'internal-error':
      return `internal error in docpipe (a bug; please report it): ${f.message}${f.log !== undefined ? `; the stack is in ${f.log}` : ''}`;
    case 'warm':
      return formatWarmFailure(f.failure);
    default:
      return unreachable(f);
  }
}

/** What the usual system errors mean, in words. */
const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a path component is not a directory',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EXDEV: 'crosses file systems',
  ENAMETOOLONG: 'file name too long',
};

export function formatWarmFailure(f: WarmFailure): string {
  const at = f.reason !== 'spawn-failed' && f.reason !== 'request-failed' && f.reason !== 'tool-replaced' ? (f.record > 0 ? ` at record ${f.record}` : ' before its first record') : '';
  switch (f.reason) {
    case 'tool-crashed':
      return `warm tool '${f.tool}' ${f.signal !== null ? `was killed by ${f.signal}` : `exited with status ${f.exitCode}`}${at}${tail(f.stderrTail)}`;
    case 'record-timeout':
      return `warm tool '${f.tool}' gave no answer within ${f.afterMs} ms${at}. ${f.hint}${tail(f.stderrTail)}`;
    case 'protocol-error':
      return `warm tool '${f.tool}' broke the record protocol${at}: ${f.detail}${tail(f.stderrTail)}`;
    case 'misaligned-output':
      return `warm tool '${f.tool}' gave answers that do not line up with the document's records${at}; nothing was recorded: ${f.detail}${tail(f.stderrTail)}`;
    case 'spawn-failed':
      return `warm tool '${f.tool}' could not start: ${f.message}`;
    case 'request-failed':
      return `warm tool '${f.tool}' answered with exit code ${f.exitCode}: ${f.message}`;
    case 'tool-replaced':
      return `warm tool '${f.tool}' was replaced by a newer version while the document waited`;
    default:
      return unreachable(f);
  }
}

function tail(s: string): string {
  const lines = s.trimEnd().split('\n').slice(-20);
  return lines.length === 0 || lines[0] === '' ? '' : `; stderr (last ${lines.length} lines):\n${indent(lines.join('\n'))}`;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Quotes an argv for display so it can be pasted into a shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}
