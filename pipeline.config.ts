// The demo pipeline: data/*.txt -> out/*.tok -> out/*.parse -> out/corpus.stats.
// tokenize and parse are slow to start (they "load a model"), so they run warm: started
// once and fed document after document. Try `pipe build`, edit data/03.txt, build again.
import { pmbRules, pmbTools } from './rules/pmb.ts';

export default {
  tools: pmbTools,
  rules: pmbRules,
};
