// build (client -> daemon): `pipe build` with its options. Answered by `event` and `output`
// lines, then one `exit`.
import { isObject, isStringArray, isStringRecord } from '../protocol.js';

export const BUILD = 'build';

export interface BuildMessage {
  type: typeof BUILD;
  /** Project-relative targets (the client resolves them against its cwd). */
  targets: string[];
  jobs: number;
  keepGoing: boolean;
  dryRun: boolean;
  cache: boolean;
  /** The client's environment: tools, PATH lookups and `env` keys see it, as without a daemon. */
  env: Record<string, string>;
}

export function isBuildMessage(m: unknown): m is BuildMessage {
  return (
    isObject(m) &&
    m['type'] === BUILD &&
    isStringArray(m['targets']) &&
    Number.isInteger(m['jobs']) &&
    (m['jobs'] as number) >= 1 &&
    typeof m['keepGoing'] === 'boolean' &&
    typeof m['dryRun'] === 'boolean' &&
    typeof m['cache'] === 'boolean' &&
    isStringRecord(m['env'])
  );
}
