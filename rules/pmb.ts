// The Parallel Meaning Bank style pipeline of the demo: tokenize -> parse per document,
// then corpus statistics gathered over every parse. Plain data: the import below is for
// types only and is erased, so a config using this module needs no runtime docpipe.
import type { RuleConfig, ToolConfig } from '../src/config/types.js';

export interface PmbOptions {
  /** Directory of the source documents (`{doc}.txt`). Default 'data'. */
  data?: string;
  /** Directory for the outputs. Default 'out'. */
  out?: string;
  /** Directory of the tool scripts. Default 'bin'. */
  bin?: string;
  /** Directory of the model files. Default 'models'. */
  models?: string;
  /** Keep tokenize and parse running between documents. Default true. */
  warm?: boolean;
}

export interface PmbPipeline {
  tools: Record<string, ToolConfig>;
  rules: RuleConfig[];
}

/** Build the tools and rules of the PMB pipeline for the given directories. */
export function pmb(options: PmbOptions = {}): PmbPipeline {
  const { data = 'data', out = 'out', bin = 'bin', models = 'models', warm = true } = options;
  const tokenizerModel = `${models}/tokenizer.model`;
  const parserModel = `${models}/parser.model`;
  return {
    tools: {
      // Slow start (model load), then one output line per input line: ideal warm tools.
      tokenize: { command: [`${bin}/tokenize`, '-m', tokenizerModel], warm, files: [tokenizerModel] },
      parse: { command: [`${bin}/parse`, '-m', parserModel], warm, files: [parserModel] },
    },
    rules: [
      { name: 'tokenize', input: `${data}/{doc}.txt`, output: `${out}/{doc}.tok`, tool: 'tokenize' },
      { name: 'parse', input: `${out}/{doc}.tok`, output: `${out}/{doc}.parse`, tool: 'parse' },
      // Gather: every parse, concatenated in order on stdin; stdout becomes the output.
      { name: 'stats', input: `${out}/*.parse`, output: `${out}/corpus.stats`, command: [`${bin}/stats`] },
    ],
  };
}

const defaults = pmb();
export const pmbTools: Record<string, ToolConfig> = defaults.tools;
export const pmbRules: RuleConfig[] = defaults.rules;
