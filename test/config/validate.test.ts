// validateConfig: every diagnostic names the config file, where in the config (`at`), the bad
// value and what was expected. Exact messages: the message is the feature.
import { describe, expect, it } from 'vitest';
import { validateConfig, type Diagnostic, type Pipeline } from '../../src/config/validate.js';

const FILE = '/project/pipeline.config.ts';

/** The diagnostics of an invalid config, as [at, message] pairs; fails if it validated. */
function diagnose(raw: unknown): [string, string][] {
  const r = validateConfig(FILE, raw);
  if (r.ok) throw new Error(`expected diagnostics, but the config validated: ${JSON.stringify(raw)}`);
  for (const d of r.error) expect(d.file).toBe(FILE);
  return r.error.map((d: Diagnostic) => [d.at, d.message]);
}

function valid(raw: unknown): Pipeline {
  const r = validateConfig(FILE, raw);
  if (!r.ok) throw new Error(`expected a valid config, got ${JSON.stringify(r.error)}`);
  return r.value;
}

const tools = {
  tok: { command: ['tok'] },
  parse: { command: ['parse', '-m', 'models/parse.model'] },
};

describe('validateConfig: a valid config', () => {
  it('normalizes tools, rules, kinds and stdin/stdout modes', () => {
    const p = valid({
      tools,
      rules: [
        { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
        { name: 'split', input: 'data/{doc}.txt', output: ['out/{doc}.odd', 'out/{doc}.even'], command: ['split2', '{input}', '{output[0]}', '{output[1]}'] },
        { name: 'stats', input: 'out/*.tok', output: 'out/corpus.stats', command: ['stats'] },
      ],
      cacheBytes: 1000,
    });
    expect(p.file).toBe(FILE);
    expect(p.cacheBytes).toBe(1000);
    expect([...p.tools.keys()]).toEqual(['tok', 'parse']);
    expect(p.rules.map((r) => [r.name, r.index, r.kind, r.stdin, r.stdout, r.tool.name])).toEqual([
      ['tokenize', 0, 'map', true, true, 'tok'],
      ['split', 1, 'map', false, false, 'rule:split'],
      ['stats', 2, 'gather', true, true, 'rule:stats'],
    ]);
    expect(p.rules[1]?.outputs.map((o) => o.source)).toEqual(['out/{doc}.odd', 'out/{doc}.even']);
  });

  it('rejects a default export that is not an object', () => {
    expect(diagnose([1, 2])).toEqual([['default export', 'expected an object with `rules`, got [1,2]']]);
  });
});

describe('validateConfig: tools', () => {
  it('an unknown tool lists the defined tools and suggests the closest', () => {
    expect(diagnose({ tools, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tokk' }] })).toEqual([
      ['rules[0] (tokenize).tool', "unknown tool 'tokk'; defined tools: tok, parse (did you mean 'tok'?)"],
    ]);
  });

  it('an unknown tool with no tools defined says (none) and offers no suggestion', () => {
    expect(diagnose({ rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }] })).toEqual([
      ['rules[0] (tokenize).tool', "unknown tool 'tok'; defined tools: (none)"],
    ]);
  });

  it('an unknown tool far from every defined name gets no "did you mean"', () => {
    expect(diagnose({ tools, rules: [{ name: 'r', input: 'data/{doc}.txt', output: 'out/{doc}.x', tool: 'lemmatizer' }] })).toEqual([
      ['rules[0] (r).tool', "unknown tool 'lemmatizer'; defined tools: tok, parse"],
    ]);
  });

  it('a rule with both tool and command is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok', command: ['tok'] }] })).toEqual([
      ['rules[0] (tokenize)', 'has both `tool` and `command`; give one of them'],
    ]);
  });

  it('a rule with neither tool nor command is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok' }] })).toEqual([
      ['rules[0] (tokenize)', 'needs `tool` (a name from `tools`) or `command` (an argv array)'],
    ]);
  });

  it('a tool name that is not a string names the value', () => {
    expect(diagnose({ tools, rules: [{ name: 'r', input: 'data/{doc}.txt', output: 'out/{doc}.x', tool: 7 }] })).toEqual([
      ['rules[0] (r).tool', 'expected a tool name (string), got 7'],
    ]);
  });

  it('an empty or non-string command names the value and shows the expected shape', () => {
    expect(
      diagnose({
        tools: { a: { command: [] }, b: { command: 'tok -x' } },
        rules: [{ name: 'r', input: 'data/{doc}.txt', output: 'out/{doc}.x', command: ['', 'x'] }],
      }),
    ).toEqual([
      ['tools.a.command', "expected a non-empty argv array of strings like ['bin/tokenize', '-m', 'model'], got []"],
      ['tools.b.command', "expected a non-empty argv array of strings like ['bin/tokenize', '-m', 'model'], got 'tok -x'"],
      ['rules[0] (r).command', "expected a non-empty argv array of strings like ['bin/tokenize', '-m', 'model'], got [\"\",\"x\"]"],
    ]);
  });

  it('a tool whose definition is invalid is not also reported as an unknown tool', () => {
    // The tool IS defined; its command is wrong. Saying "unknown tool 'tok'; defined tools:
    // (none)" on top of the real error sends the user looking in the wrong place.
    const d = diagnose({ tools: { tok: { command: [] } }, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }] });
    expect(d).toContainEqual(['tools.tok.command', "expected a non-empty argv array of strings like ['bin/tokenize', '-m', 'model'], got []"]);
    expect(d.filter(([, m]) => m.startsWith('unknown tool'))).toEqual([]);
  });

  it('bad numbers name the field, the value and the minimum', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok'], instances: 0, timeoutMs: -1, retries: 1.5, prelude: '2', idleMs: null } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
        cacheBytes: 'big',
      }),
    ).toEqual([
      ['tools.tok.prelude', "expected a whole number >= 0, got '2'"],
      ['tools.tok.timeoutMs', 'expected a whole number >= 0, got -1'],
      ['tools.tok.instances', 'expected a whole number >= 1, got 0'],
      ['tools.tok.idleMs', 'expected a whole number >= 0, got null'],
      ['tools.tok.retries', 'expected a whole number >= 0, got 1.5'],
      ['cacheBytes', "expected a whole number of bytes >= 0, got 'big'"],
    ]);
  });

  it('bad files and env lists name the value', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok'], files: 'models/m', env: ['LANG', ''] } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
      }),
    ).toEqual([
      ['tools.tok.files', "expected an array of non-empty strings, got 'models/m'"],
      ['tools.tok.env', 'expected an array of non-empty strings, got ["LANG",""]'],
    ]);
  });
});

describe('validateConfig: warm tools', () => {
  it('an invalid warm regex names the field, the source and the regex error', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok'], warm: { input: '^(end', output: '^$' } } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
      }),
    ).toEqual([['tools.tok.warm.input', "'^(end' is not a valid regular expression: Invalid regular expression: /^(end/: Unterminated group"]]);
  });

  it('a warm regex that is not a string, a bad protocol and a bad warm value are rejected', () => {
    expect(
      diagnose({
        tools: {
          a: { command: ['tok'], warm: { output: 5 } },
          b: { command: ['tok'], warm: { protocol: 'grpc' } },
          c: { command: ['tok'], warm: 'yes' },
        },
        rules: [],
      }),
    ).toEqual([
      ['tools.a.warm.output', "expected a regular expression source string such as '^$', got 5"],
      ['tools.b.warm.protocol', "expected 'records' or 'json', got 'grpc'"],
      ['tools.c.warm', "expected true, false, 'sentinel' or { framing?, sentinel?, input?, output?, protocol? }, got 'yes'"],
    ]);
  });

  it('a warm tool whose command uses {input} is rejected on the rule', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok', '{input}'], warm: true } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
      }),
    ).toEqual([
      ['rules[0] (tokenize).tool', "tool 'tok' is warm, so it must read records on stdin and write them on stdout; its command may not use {input}/{output}"],
    ]);
  });

  it('a warm tool whose command uses {output} is rejected too', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok', '-o', '{output}'], warm: { protocol: 'records' } } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
      }),
    ).toEqual([
      ['rules[0] (tokenize).tool', "tool 'tok' is warm, so it must read records on stdin and write them on stdout; its command may not use {input}/{output}"],
    ]);
  });

  it('warm settings normalize to framings', () => {
    const p = valid({
      tools: {
        a: { command: ['tok'], warm: true },
        b: { command: ['tok'], warm: { input: '^\\.$' } },
        c: { command: ['tok'], warm: { protocol: 'json' } },
        d: { command: ['tok'], warm: false },
      },
      rules: [],
    });
    expect(p.tools.get('a')?.warm).toEqual({ kind: 'lines' });
    expect(p.tools.get('b')?.warm).toEqual({ kind: 'terminated', input: /^\.$/, output: /^$/ });
    expect(p.tools.get('c')?.warm).toEqual({ kind: 'json' });
    expect(p.tools.get('d')?.warm).toBeNull();
  });
});

describe('validateConfig: rule names', () => {
  it('a missing name is reported at the rule index', () => {
    expect(diagnose({ tools, rules: [{ input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }] })).toEqual([
      ['rules[0].name', 'expected a non-empty string, got nothing'],
    ]);
  });

  it('an empty or non-string name names the value', () => {
    expect(
      diagnose({
        tools,
        rules: [
          { name: '', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
          { name: 3, input: 'data/{doc}.txt', output: 'out/{doc}.p', tool: 'parse' },
        ],
      }),
    ).toEqual([
      ['rules[0] ().name', "expected a non-empty string, got ''"],
      ['rules[1].name', 'expected a non-empty string, got 3'],
    ]);
  });

  it('a rule that is not an object is reported', () => {
    expect(diagnose({ tools, rules: ['tokenize'] })).toEqual([['rules[0]', "expected a rule object { name, input, output, tool | command }, got 'tokenize'"]]);
  });

  it('duplicate rule names are reported on the second rule', () => {
    expect(
      diagnose({
        tools,
        rules: [
          { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
          { name: 'tokenize', input: 'raw/{doc}.txt', output: 'out/{doc}.tok2', tool: 'tok' },
        ],
      }),
    ).toEqual([['rules[1] (tokenize).name', "duplicate rule name 'tokenize'; rule names must be unique"]]);
  });

  it('rules that is not an array is reported', () => {
    expect(diagnose({ tools, rules: { name: 'x' } })).toEqual([['rules', 'expected an array of rules, got {"name":"x"}']]);
  });
});

describe('validateConfig: patterns and wildcards', () => {
  it('an output lacking an input wildcard is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/all.tok', tool: 'tok' }] })).toEqual([
      ['rules[0] (tokenize).output', "'out/all.tok' lacks the wildcard {doc} used in the input, so different inputs would write the same output"],
    ]);
  });

  it('an output wildcard that no input binds is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{lang}/{doc}.tok', tool: 'tok' }] })).toEqual([
      ['rules[0] (tokenize).output', 'wildcard {lang} in the output does not appear in any input, so it cannot be bound'],
    ]);
  });

  it('a gather rule (glob input) with a wildcard output is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'stats', input: 'out/*.parse', output: 'out/{doc}.stats', command: ['stats'] }] })).toEqual([
      ['rules[0] (stats).output', "a gather rule (glob input) must have fixed outputs, but 'out/{doc}.stats' has {wildcards}"],
    ]);
  });

  it('a gather rule mixing globs and wildcards across inputs is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'stats', input: ['out/*.parse', 'meta/{doc}.txt'], output: 'out/corpus.stats', command: ['stats'] }] })).toEqual([
      ['rules[0] (stats).input', 'mixes {wildcards} (doc) with glob patterns; a gather rule takes globs only'],
    ]);
  });

  it('a single pattern mixing wildcards and globs is rejected with the pattern', () => {
    expect(diagnose({ tools, rules: [{ name: 'r', input: 'data/{doc}/*.txt', output: 'out/{doc}.tok', tool: 'tok' }] })).toEqual([
      ['rules[0] (r).input', "'data/{doc}/*.txt': a pattern cannot mix {wildcards} and glob characters"],
    ]);
  });

  it('an unbalanced brace in a pattern is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'r', input: 'data/{doc.txt', output: 'out/x.tok', tool: 'tok' }] })).toEqual([
      ['rules[0] (r).input', "'data/{doc.txt': unbalanced or invalid '{...}': wildcards are {name} with letters, digits and _"],
    ]);
  });

  it('an output with glob characters is rejected', () => {
    expect(diagnose({ tools, rules: [{ name: 'r', input: 'data/{doc}.txt', output: ['out/{doc}.tok', 'out/*.x'], command: ['tok', '{output}'] }] })).toEqual([
      ['rules[0] (r).output', "output 'out/*.x' contains glob characters; outputs must be paths or {wildcard} patterns"],
    ]);
  });

  it('an empty or missing input/output names the value', () => {
    expect(
      diagnose({
        tools,
        rules: [
          { name: 'a', output: 'out/{doc}.tok', tool: 'tok' },
          { name: 'b', input: 'data/{doc}.txt', output: [], tool: 'tok' },
        ],
      }),
    ).toEqual([
      ['rules[0] (a).input', "expected a path pattern like 'data/{doc}.txt' or an array of them, got nothing"],
      ['rules[1] (b).output', "expected a path pattern like 'data/{doc}.txt' or an array of them, got []"],
    ]);
  });

  it.each([
    ['../x', "output '../x' must stay inside the project root"],
    ['out/../../{doc}.x', "output 'out/../../{doc}.x' must stay inside the project root"],
    ['/tmp/{doc}.x', "output '/tmp/{doc}.x' must stay inside the project root"],
  ])('an output outside the root (%s) is rejected', (output, message) => {
    expect(diagnose({ tools, rules: [{ name: 'r', input: 'data/{doc}.txt', output, tool: 'tok' }] })).toEqual([['rules[0] (r).output', message]]);
  });

  it('an output path that only passes through a parent directory is normalized, not rejected', () => {
    const p = valid({ tools, rules: [{ name: 'r', input: 'data/{doc}.txt', output: 'out/../gen/{doc}.x', tool: 'tok' }] });
    expect(p.rules[0]?.outputs[0]?.source).toBe('gen/{doc}.x');
  });

  it('identical output patterns in two rules collide, whatever the wildcard names', () => {
    expect(
      diagnose({
        tools,
        rules: [
          { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' },
          { name: 'retokenize', input: 'raw/{name}.txt', output: 'out/{name}.tok', tool: 'tok' },
        ],
      }),
    ).toEqual([['rules[1] (retokenize).output', "'out/{name}.tok' collides with an output of rule 'tokenize': both would write the same files"]]);
  });

  it('identical fixed outputs in two gather rules collide', () => {
    expect(
      diagnose({
        rules: [
          { name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats'] },
          { name: 'stats2', input: 'out/*.tok', output: 'out/corpus.stats', command: ['stats'] },
        ],
      }),
    ).toEqual([['rules[1] (stats2).output', "'out/corpus.stats' collides with an output of rule 'stats': both would write the same files"]]);
  });
});

describe('validateConfig: command placeholders', () => {
  it('several outputs without an {output} placeholder are rejected', () => {
    expect(diagnose({ rules: [{ name: 'split', input: 'data/{doc}.txt', output: ['out/{doc}.odd', 'out/{doc}.even'], command: ['split2', '{input}'] }] })).toEqual([
      ['rules[0] (split).output', 'has 2 outputs but the command has no {output} placeholder; stdout can fill only one output'],
    ]);
  });

  it('an unknown placeholder lists the valid ones including the rule wildcards', () => {
    expect(diagnose({ rules: [{ name: 'tokenize', input: 'data/{lang}/{doc}.txt', output: 'out/{lang}/{doc}.tok', command: ['tok', '--lang={language}'] }] })).toEqual([
      ['rules[0] (tokenize).command', "unknown placeholder '{language}'; expected {input}, {output}, {input[N]}, {output[N]} or a wildcard: {lang}, {doc}"],
    ]);
  });

  it('an unknown placeholder in a gather rule lists no wildcards', () => {
    expect(diagnose({ rules: [{ name: 'stats', input: 'out/*.parse', output: 'out/corpus.stats', command: ['stats', '{doc}'] }] })).toEqual([
      ['rules[0] (stats).command', "unknown placeholder '{doc}'; expected {input}, {output}, {input[N]}, {output[N]}"],
    ]);
  });

  it('an unknown placeholder in a named tool is reported on the rule that uses it', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok', '{lang}'] } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
      }),
    ).toEqual([['rules[0] (tokenize).command', "unknown placeholder '{lang}'; expected {input}, {output}, {input[N]}, {output[N]} or a wildcard: {doc}"]]);
  });

  it('an out-of-range {output[N]} is rejected', () => {
    expect(diagnose({ rules: [{ name: 'split', input: 'data/{doc}.txt', output: ['out/{doc}.odd', 'out/{doc}.even'], command: ['split2', '{input}', '{output[0]}', '{output[2]}'] }] })).toEqual([
      ['rules[0] (split).command', "'{output[2]}' is out of range: the rule has 2 output(s)"],
    ]);
  });

  it('wildcard placeholders and indexed placeholders in range are accepted', () => {
    const p = valid({ rules: [{ name: 'split', input: 'data/{doc}.txt', output: ['out/{doc}.odd', 'out/{doc}.even'], command: ['split2', '{input[0]}', '{output[0]}', '{output[1]}', '--id={doc}'] }] });
    expect(p.rules[0]).toMatchObject({ stdin: false, stdout: false, kind: 'map' });
  });
});

describe('validateConfig: unknown fields', () => {
  it('a misspelled top-level field is named with a suggestion', () => {
    expect(diagnose({ tools, rule: [] })).toEqual([
      ['rule', "unknown field 'rule'; expected one of tools, rules, cacheBytes (did you mean 'rules'?)"],
      ['rules', 'expected an array of rules, got nothing'],
    ]);
  });

  it('a misspelled rule field is named with a suggestion', () => {
    expect(diagnose({ tools, rules: [{ name: 'tokenize', input: 'data/{doc}.txt', outputs: 'out/{doc}.tok', output: 'out/{doc}.tok', tool: 'tok' }] })).toEqual([
      ['rules[0] (tokenize).outputs', "unknown field 'outputs'; expected one of name, input, output, tool, command (did you mean 'output'?)"],
    ]);
  });

  it('a misspelled tool field is named with a suggestion', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok'], instance: 2 } },
        rules: [{ name: 'tokenize', input: 'data/{doc}.txt', output: 'out/{doc}.tok', tool: 'tok' }],
      }),
    ).toEqual([['tools.tok.instance', "unknown field 'instance'; expected one of command, warm, files, env, prelude, timeoutMs, startupMs, instances, idleMs, retries, restart (did you mean 'instances'?)"]]);
  });

  it('an unknown field far from every known one gets no suggestion', () => {
    expect(diagnose({ tools, rules: [], somethingElse: true })).toEqual([['somethingElse', "unknown field 'somethingElse'; expected one of tools, rules, cacheBytes"]]);
  });

  it('an unknown warm field is named with the expected fields', () => {
    expect(
      diagnose({
        tools: { tok: { command: ['tok'], warm: { inptu: '^$' } } },
        rules: [],
      }),
    ).toEqual([['tools.tok.warm.inptu', "unknown field 'inptu'; expected framing, sentinel, input, output or protocol"]]);
  });

  it('reports every problem in one pass, in config order', () => {
    const d = diagnose({
      tools: { tok: { command: ['tok'], instances: 0 } },
      rules: [
        { name: 'tokenize', input: 'data/{doc}.txt', output: 'out/all.tok', tool: 'tok' },
        { name: 'parse', input: 'out/{doc}.tok', output: 'out/{doc}.parse', tool: 'parser' },
      ],
    });
    expect(d.map(([at]) => at)).toEqual(['tools.tok.instances', 'rules[0] (tokenize).output', 'rules[1] (parse).tool']);
  });
});
