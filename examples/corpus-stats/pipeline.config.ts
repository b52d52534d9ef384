// corpus-stats: lower-case each document, count its words, then summarise the corpus.
// A plain object: no import of docpipe needed. Paths are relative to this directory.
export default {
  rules: [
    // No {input}/{output} placeholders: the document arrives on stdin, stdout is the output.
    { name: 'lower', input: 'data/{doc}.txt', output: 'out/{doc}.lower', command: ['tr', '[:upper:]', '[:lower:]'] },
    // Placeholders: the tool is given the paths and writes the output file itself.
    { name: 'count', input: 'out/{doc}.lower', output: 'out/{doc}.counts', command: ['bin/count-words', '{input}', '{output}'] },
    // Gather rule: a glob input; {input} expands to every matching path, one argument each.
    { name: 'summary', input: 'out/*.counts', output: 'out/summary.tsv', command: ['bin/summarize', '{output}', '{input}'] },
  ],
};
