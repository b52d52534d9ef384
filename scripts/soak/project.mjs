// The soak's temp project: its pipeline (a pattern rule, a chain through a warm tool, a
// gather rule), its tools (small scripts that append one line per run to the run log), and
// the documents it holds, written from an in-memory model so a clean copy can be made.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONFIG = `export default {
  tools: {
    upper: { command: ['bin/upper'], warm: true, instances: 2 },
  },
  rules: [
    { name: 'tokenize', input: 'src/{doc}.txt', output: 'out/{doc}.tok', command: ['bin/tok', '{doc}'] },
    { name: 'upper', input: 'out/{doc}.tok', output: 'out/{doc}.up', tool: 'upper' },
    { name: 'count', input: 'out/{doc}.up', output: 'out/{doc}.cnt', command: ['bin/count'] },
    { name: 'stats', input: 'out/*.cnt', output: 'out/corpus.stats', command: ['bin/stats'] },
  ],
};
`;

/**
 * The tools. `log` is the run log (an absolute path outside the project, so re-creating the
 * project keeps it); `slowFlag` makes tok sleep after logging while it exists, so a soak step
 * can kill a build that is certainly under way.
 */
function tools(log, slowFlag) {
  return {
    // Cold, per document: collapses blanks (a whitespace edit gives identical output: early
    // cutoff) and prefixes each line with "doc:line:" so every warm record is unique.
    'bin/tok': `#!/bin/sh
tmp=$(mktemp)
cat > "$tmp"
echo "tok $1 $(sha256sum < "$tmp" | cut -c1-16)" >> '${log}'
if [ -e '${slowFlag}' ]; then sleep 0.3; fi
tr -s ' \\t' '  ' < "$tmp" | sed -e 's/^ *//' -e 's/ *$//' | awk -v d="$1" '{ print d ":" NR ":" $0 }'
rm -f "$tmp"
`,
    // Warm, one line in, one line out; logs every record it serves.
    'bin/upper': `#!${python()}
import sys
log = open('${log}', 'ab', buffering=0)
while True:
    line = sys.stdin.buffer.readline()
    if not line:
        break
    rec = line.rstrip(b'\\n')
    log.write(b'upper ' + rec + b'\\n')
    sys.stdout.buffer.write(rec.upper() + b'\\n')
    sys.stdout.buffer.flush()
`,
    // Cold, per document: words per line. Its output often survives an edit (early cutoff).
    'bin/count': `#!/bin/sh
tmp=$(mktemp)
cat > "$tmp"
echo "count $(sha256sum < "$tmp" | cut -c1-16)" >> '${log}'
awk -F: '{ n = split($3, w, " "); print $1 ":" $2 " " n }' "$tmp"
rm -f "$tmp"
`,
    // Cold gather: a digest of everything on stdin, so the order of the inputs counts too.
    'bin/stats': `#!/bin/sh
tmp=$(mktemp)
cat > "$tmp"
echo "stats $(sha256sum < "$tmp" | cut -c1-16)" >> '${log}'
wc -lc < "$tmp" | awk '{ print "lines " $1 " bytes " $2 }'
sha256sum < "$tmp" | cut -c1-64
rm -f "$tmp"
`,
  };
}

let interpreter;

/** The python3 on PATH, resolved once: a version manager's shim (pyenv) costs a shell per start. */
function python() {
  interpreter ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  return interpreter;
}

/** Writes a whole project (config, tools, sources) at `root`, which must not exist. */
export function writeProject(root, docs, log, slowFlag) {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'pipeline.config.ts'), CONFIG);
  for (const [p, text] of Object.entries(tools(log, slowFlag))) {
    writeFileSync(join(root, p), text);
    chmodSync(join(root, p), 0o755);
  }
  for (const [name, text] of docs) writeFileSync(sourcePath(root, name), text);
}

export function sourcePath(root, name) {
  return join(root, 'src', `${name}.txt`);
}

export function removeTree(root) {
  rmSync(root, { recursive: true, force: true });
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'the', 'cat', 'sat', 'on', 'a', 'mat', 'x', 'yy', 'zzz'];

/** Random text: 1-4 lines of 1-5 words (never empty: every document has a line). */
export function randomText(rng) {
  const lines = [];
  for (let i = rng.int(1, 4); i > 0; i--) lines.push(randomLine(rng));
  return lines.join('\n') + '\n';
}

export function randomLine(rng) {
  const words = [];
  for (let i = rng.int(1, 5); i > 0; i--) words.push(rng.pick(WORDS));
  return words.join(' ');
}

/** Changes words: replaces, adds or removes a line (keeping at least one). */
export function editText(rng, text) {
  const lines = text.replace(/\n$/, '').split('\n');
  const i = rng.int(0, lines.length - 1);
  const kind = lines.length > 1 ? rng.int(0, 2) : rng.int(0, 1);
  if (kind === 0) lines[i] = randomLine(rng);
  else if (kind === 1) lines.splice(i, 0, randomLine(rng));
  else lines.splice(i, 1);
  return lines.join('\n') + '\n';
}

/** Adds or removes blanks around words: tok's output stays the same. */
export function whitespaceEdit(rng, text) {
  const lines = text.replace(/\n$/, '').split('\n');
  const i = rng.int(0, lines.length - 1);
  const words = lines[i].trim().split(/\s+/);
  const gap = () => rng.pick([' ', '  ', '\t', ' \t ']);
  lines[i] = (rng.bool() ? gap() : '') + words.join(gap()) + (rng.bool() ? gap() : '');
  return lines.join('\n') + '\n';
}
