// On a terminal the progress line is erased at the end: a short summary then says which
// targets were built, restored or failed. Checked under a real pty (util-linux `script`).
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, pmbConfig, Project } from '../rig.js';

let p: Project;
afterEach(() => p?.dispose());

/** The text a terminal shows after `pipe ARGS` (escape sequences and carriage returns removed). */
function onTerminal(args: string): { visible: string; code: number } {
  const env: NodeJS.ProcessEnv = { ...p.env() };
  delete env['CI'];
  // `script -e` exits with the command's status; execFileSync throws on a non-zero one.
  let raw: string;
  let code = 0;
  try {
    raw = execFileSync('script', ['-qec', `stty cols 200 rows 30; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${args}`, '/dev/null'], { cwd: p.root, env, encoding: 'utf8' });
  } catch (e) {
    const x = e as { status: number; stdout: string };
    raw = x.stdout;
    code = x.status;
  }
  // Erasing the progress line leaves no newline: a summary line may follow its text here.
  // eslint-disable-next-line no-control-regex
  return { visible: raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, ''), code };
}

describe('terminal summary', () => {
  it('names the targets built, and after an edit only those rebuilt', () => {
    p = new Project({ 'pipeline.config.ts': pmbConfig(), 'models/parse.model': 'v1\n', 'data/a.txt': 'x y\n', 'data/b.txt': 'z\n' });
    const first = onTerminal('build -j 1');
    expect(first.code).toBe(0);
    expect(first.visible).toContain('built: out/a.parse, out/a.tok, out/b.parse, out/b.tok, out/corpus.stats\n');

    p.write('data/b.txt', 'z z\n');
    const second = onTerminal('build -j 1');
    expect(second.visible).toContain('built: out/b.parse, out/b.tok, out/corpus.stats\n');
    expect(second.visible.trim().split('\n').at(-1)).toMatch(/^pipe: 3 built, 2 up to date \(/);

    const third = onTerminal('build');
    expect(third.visible).not.toContain('built:');
  });

  it('names failed targets, and restored ones', () => {
    const config = "export default { rules: [{ name: 'check', input: 'data/{doc}.txt', output: 'out/{doc}.chk', command: ['badword'] }] };\n";
    p = new Project({ 'pipeline.config.ts': config, 'data/a.txt': 'fine\n', 'data/b.txt': 'BAD\n' });
    const failed = onTerminal('build -j 1 -k');
    expect(failed.code).toBe(1);
    expect(failed.visible).toContain('built: out/a.chk\n');
    expect(failed.visible).toContain('failed: out/b.chk\n');
    // An edit, then back: the first output comes from the cache.
    p.write('data/b.txt', 'fixed\n');
    p.write('data/a.txt', 'edited\n');
    expect(onTerminal('build -j 1').code).toBe(0);
    p.write('data/a.txt', 'fine\n');
    const restored = onTerminal('build -j 1');
    expect(restored.visible).toContain('restored from cache: out/a.chk\n');
    expect(restored.visible).not.toContain('built:');
  });
});
