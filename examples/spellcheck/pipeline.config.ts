// spellcheck: real Debian tools kept warm with the sentinel framing. hunspell -a answers a
// word with two lines (or one for a blank line) after a banner, mecab answers a line with
// one line per token and an EOS; neither answers one line per line, so `warm: true` cannot
// frame them, and the sentinel framing can.
// Needs: apt-get install hunspell hunspell-en-us mecab mecab-ipadic-utf8
export default {
  tools: {
    spell: { command: ['hunspell', '-d', 'en_US', '-a'], warm: 'sentinel', env: ['DICPATH'] },
    mecab: { command: ['mecab'], warm: { framing: 'sentinel', sentinel: 'docpipesentinel' } },
  },
  rules: [
    { name: 'spell', input: 'data/{doc}.en.txt', output: 'out/{doc}.spell', tool: 'spell' },
    { name: 'tokens', input: 'data/{doc}.ja.txt', output: 'out/{doc}.mecab', tool: 'mecab' },
  ],
};
