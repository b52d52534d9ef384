// Warm tools that keep state or buffer their output: see README.md.
export default {
  tools: {
    upper: { command: ['tr', 'a-z', 'A-Z'], warm: true },
    number: { command: ['awk', '{ print NR ": " $0; fflush() }'], warm: { sentinel: false }, restart: 'per-document' },
  },
  rules: [
    { name: 'upper', input: 'data/{doc}.txt', output: 'out/{doc}.upper', tool: 'upper' },
    { name: 'number', input: 'out/{doc}.upper', output: 'out/{doc}.num', tool: 'number' },
  ],
};
