// Processes for the soak: CLI runs with a bound (a bound hit is a soak failure), polling with
// a deadline, and the list of processes that belong to a project directory (/proc).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export class SoakFailure extends Error {}

/**
 * Starts `node cli args...` in `cwd`. The returned handle's `done` resolves with
 * {code, signal, stdout, stderr}; `bounded(ms, what)` rejects with a SoakFailure naming the
 * command when it has not exited by then (and then kills it, so nothing is left behind).
 */
export function startCli(cli, args, cwd, env) {
  const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const command = `pipe ${args.join(' ')}`;
  const done = new Promise((resolve) => {
    child.on('error', (e) => resolve({ code: null, signal: null, stdout, stderr: stderr + String(e) }));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const bounded = async (ms) => {
    let timer;
    const limit = new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    const r = await Promise.race([done, limit]);
    clearTimeout(timer);
    if (r !== undefined) return r;
    child.kill('SIGKILL');
    await done;
    throw new SoakFailure(`\`${command}\` did not finish within ${ms} ms (killed it); output so far:\n${tail(stdout + stderr)}`);
  };
  return { child, command, done, bounded };
}

export function tail(text, lines = 15) {
  return text.trimEnd().split('\n').slice(-lines).map((l) => `  | ${l}`).join('\n');
}

/** Polls `check` until it returns something truthy; after `ms`, a SoakFailure naming `what`. */
export async function waitUntil(what, check, ms) {
  const deadline = Date.now() + ms;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new SoakFailure(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Live processes (not zombies) whose command line names one of `roots` or whose working
 * directory is inside one (a daemon keeps its cwd even after its directory was removed: the
 * link then ends in " (deleted)"). This process is never listed.
 */
export function projectProcesses(roots) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        // another user's process, or gone: its command line decides
      }
      const mine = roots.some((r) => cmdline.includes(r) || cwd === r || cwd.startsWith(`${r}/`) || cwd === `${r} (deleted)`);
      if (mine) found.push({ pid: Number(name), state, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

export function describeProcesses(ps) {
  return ps.map((p) => `  pid ${p.pid} [${p.state}] ${p.cmdline}`).join('\n');
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Every descendant of `pid` (children, their children, ...), from /proc's parent links. */
export function descendants(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  const out = [];
  const todo = [...(children.get(pid) ?? [])];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}
