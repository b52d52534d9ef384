// The shape a user writes in pipeline.config.ts. Plain data: a config must load without
// resolving `docpipe`, so nothing here may be a class or need a runtime import.

/** How a warm tool frames records on stdin/stdout (viasock's protocol). */
export type WarmSetting =
  | boolean
  /** Short for { framing: 'sentinel' }. */
  | 'sentinel'
  | {
      /**
       * 'lines' (default): one answer per record, checked by a verifier record after each
       * document. 'sentinel': any stdin->stdout tool that flushes; a sentinel line ends each
       * document and everything before the tool's answer to it is the output.
       */
      framing?: 'lines' | 'sentinel';
      /** The marker line's text (default 'docpipesentinel'); false: no verifier (lines only). */
      sentinel?: string | false;
      /** Regex source matched against a line that ends an input record (viasock -t). */
      input?: string;
      /** Regex source matched against a line that ends an output record (viasock -T). */
      output?: string;
      /** 'records' (default): unchanged stdin/stdout tools. 'json': Bazel JSON worker protocol. */
      protocol?: 'records' | 'json';
    };

export interface ToolConfig {
  /** argv; the first element is resolved on PATH and content-hashed. */
  command: readonly string[];
  /** Keep the tool running and feed it record after record. */
  warm?: WarmSetting;
  /** Extra files or directories (models, data) that are part of the tool's identity. */
  files?: readonly string[];
  /** Names of environment variables whose values are part of the tool's identity. */
  env?: readonly string[];
  /** Output records printed once at start-up that belong to every output (viasock -P). */
  prelude?: number;
  /** Longest a record (warm) or a whole run (cold) may take. */
  timeoutMs?: number;
  /** Warm: extra time a fresh instance gets for its first answer (model loading). Default 60000. */
  startupMs?: number;
  /** How many warm copies may run at once (default: cores). */
  instances?: number;
  /** Stop a warm instance after this long unused. */
  idleMs?: number;
  /** Retry a failed document this many times (warm crash or timeout). */
  retries?: number;
  /**
   * Warm: 'per-document' serves every document with a fresh instance (the next one starts
   * while the current document runs), for tools that keep state across records (awk's NR).
   * Default 'never'.
   */
  restart?: 'never' | 'per-document';
}

export interface RuleConfig {
  name: string;
  /** One pattern or several; `{name}` wildcards, or a glob (`out/*.parse`) for gather rules. */
  input: string | readonly string[];
  output: string | readonly string[];
  /** A named tool from `tools`... */
  tool?: string;
  /** ...or an inline argv. */
  command?: readonly string[];
}

export interface PipelineConfig {
  tools?: Record<string, ToolConfig>;
  rules: readonly RuleConfig[];
  /** Output cache bound in bytes (LRU). Default 1 GiB. */
  cacheBytes?: number;
}

/** Identity helper for types; a plain exported object works the same. */
export function definePipeline<const T extends PipelineConfig>(config: T): T {
  return config;
}

/** Alias of definePipeline, for those used to Vite's naming. */
export const defineConfig = definePipeline;
