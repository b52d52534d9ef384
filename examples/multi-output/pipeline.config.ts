// multi-output: one rule run writes two files; a second rule reads both.
export default {
  rules: [
    // Two outputs. {output[0]} and {output[1]} expand to one path each; a bare {output}
    // would expand to both paths as separate arguments (same argv here).
    {
      name: 'split',
      input: 'data/{doc}.txt',
      output: ['out/{doc}.odd', 'out/{doc}.even'],
      command: ['bin/split-lines', '{input}', '{output[0]}', '{output[1]}'],
    },
    // Two inputs, no placeholders: they arrive concatenated in order on stdin.
    {
      name: 'count',
      input: ['out/{doc}.odd', 'out/{doc}.even'],
      output: 'out/{doc}.lines',
      command: ['wc', '-l'],
    },
  ],
};
