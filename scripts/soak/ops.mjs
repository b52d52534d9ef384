// The soak's operations on the project: source edits, builds with and without the daemon,
// concurrent clients, re-creating the directory, and killing or stopping clients and daemons.
// Each returns what the step did; `built` steps are then checked (runs and outputs).
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editText, randomText, removeTree, sourcePath, whitespaceEdit, writeProject } from './project.mjs';
import { SoakFailure, alive, descendants, describeProcesses, startCli, tail, waitUntil } from './procs.mjs';

export const DOC_NAMES = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];

export class Soak {
  constructor(o) {
    this.o = o; // { rng, cli, root, log, slowFlag, env, boundMs }
    this.docs = new Map();
    /** Every content each document has had, for reverts (restores from the output cache). */
    this.history = new Map();
    /** Pids we SIGSTOPped, so that cleanup can resume them before killing. */
    this.stopped = new Set();
  }

  /** Every document name the project has had (their outputs may remain as orphans). */
  get known() {
    return new Set(this.history.keys());
  }

  get rng() {
    return this.o.rng;
  }

  setDocModel(name, text) {
    this.docs.set(name, text);
    if (!this.history.has(name)) this.history.set(name, []);
    if (!this.history.get(name).includes(text)) this.history.get(name).push(text);
  }

  setDoc(name, text) {
    this.setDocModel(name, text);
    writeFileSync(sourcePath(this.o.root, name), text);
  }

  create() {
    writeProject(this.o.root, this.docs, this.o.log, this.o.slowFlag);
  }

  /** Which operations make sense now (a delete keeps one document, an add needs a free name). */
  applicable(op) {
    switch (op) {
      case 'delete':
        return this.docs.size > 1;
      case 'add':
        return this.docs.size < DOC_NAMES.length;
      case 'revert':
        return [...this.docs.keys()].some((d) => this.history.get(d).length > 1);
      default:
        return true;
    }
  }

  pickDoc() {
    return this.rng.pick([...this.docs.keys()].sort());
  }

  /** An edit that certainly changes the document (so that its chain is stale). */
  edit(name = this.pickDoc()) {
    const old = this.docs.get(name);
    let text = editText(this.rng, old);
    for (let i = 0; text === old && i < 10; i++) text = editText(this.rng, old);
    if (text === old) text = `${old}${this.rng.pick(['x', 'yy'])}\n`;
    this.setDoc(name, text);
    return `edit ${name}`;
  }

  cli(args) {
    return startCli(this.o.cli, args, this.o.root, this.o.env);
  }

  async build(args, what) {
    const r = await this.cli(args)
      .bounded(this.o.boundMs)
      .catch((e) => {
        throw what !== undefined && e instanceof SoakFailure ? new SoakFailure(`${what}: ${e.message}`) : e;
      });
    if (r.code !== 0) throw new SoakFailure(`\`pipe ${args.join(' ')}\`${what !== undefined ? ` (${what})` : ''} exited ${r.code}${r.signal !== null ? ` (${r.signal})` : ''}:\n${tail(r.stdout + r.stderr)}`);
    return r;
  }

  daemonPid() {
    try {
      const rec = JSON.parse(readFileSync(join(this.o.root, '.pipe', 'daemon.json'), 'utf8'));
      return typeof rec.pid === 'number' && alive(rec.pid) ? rec.pid : undefined;
    } catch {
      return undefined;
    }
  }

  logSize() {
    return existsSync(this.o.log) ? statSync(this.o.log).size : 0;
  }

  async waitGone(pids, what) {
    await waitUntil(() => `${what} to exit; still alive:\n${describeProcesses(pids.filter(alive).map((pid) => ({ pid, state: '', cmdline: cmdline(pid) })))}`, () => pids.every((p) => !alive(p)), 15_000);
  }

  // ---- operations: each returns { note, built?, uncertain? } ----

  async op_edit() {
    return { note: this.edit() };
  }

  async op_wsedit() {
    const name = this.pickDoc();
    this.setDoc(name, whitespaceEdit(this.rng, this.docs.get(name)));
    return { note: `whitespace edit ${name}` };
  }

  async op_touch() {
    const name = this.pickDoc();
    // A new mtime, the same bytes: nothing may run. utimes, not a sleep: deterministic.
    const t = new Date(Date.now() + this.rng.int(-5000, 5000));
    utimesSync(sourcePath(this.o.root, name), t, t);
    return { note: `touch ${name}` };
  }

  async op_add() {
    const name = this.rng.pick(DOC_NAMES.filter((d) => !this.docs.has(d)));
    this.setDoc(name, randomText(this.rng));
    return { note: `add ${name}` };
  }

  async op_delete() {
    const name = this.pickDoc();
    this.docs.delete(name);
    rmSync(sourcePath(this.o.root, name));
    return { note: `delete ${name}` };
  }

  async op_revert() {
    const name = this.rng.pick([...this.docs.keys()].filter((d) => this.history.get(d).length > 1).sort());
    const earlier = this.history.get(name).filter((t) => t !== this.docs.get(name));
    this.setDoc(name, this.rng.pick(earlier));
    return { note: `revert ${name} to an earlier content` };
  }

  async op_build() {
    await this.build(['build']);
    return { note: 'build through the daemon', built: true };
  }

  async op_build_nodaemon() {
    await this.build(['build', '--no-daemon']);
    return { note: 'build --no-daemon', built: true };
  }

  async op_concurrent() {
    const n = this.rng.int(2, 4);
    const hs = Array.from({ length: n }, () => this.cli(['build']));
    const rs = await Promise.all(hs.map((h) => h.bounded(this.o.boundMs)));
    const bad = rs.map((r, i) => ({ r, i })).filter(({ r }) => r.code !== 0);
    if (bad.length > 0) throw new SoakFailure(bad.map(({ r, i }) => `concurrent client ${i + 1}/${n} exited ${r.code}:\n${tail(r.stdout + r.stderr)}`).join('\n'));
    return { note: `${n} concurrent builds through the daemon`, built: true };
  }

  async op_recreate() {
    // rm -rf and write it again at the same path while its daemon (if any) still runs.
    const pid = this.daemonPid();
    // Half the time the old daemon is slow to notice (paused until the new one serves), so
    // whatever it does on noticing happens while the new daemon owns the socket path.
    const slow = pid !== undefined && this.rng.bool();
    if (slow) {
      process.kill(pid, 'SIGSTOP');
      this.stopped.add(pid);
    }
    removeTree(this.o.root);
    this.create();
    if (pid === undefined) return { note: 'rm -rf the project and re-create it', recreated: true };
    // A new daemon serves the new directory; the old one, its directory gone, may exit, but
    // must not take the new daemon's socket or lock with it: a build after it has gone still works.
    await this.build(['build'], 'the first build after re-creating the directory');
    if (slow) {
      process.kill(pid, 'SIGCONT');
      this.stopped.delete(pid);
    }
    const gone = await waitUntil(`the old daemon (pid ${pid}) to exit`, () => !alive(pid), 15_000).then(
      () => true,
      () => false,
    );
    await this.build(['build'], `a build after the old daemon (pid ${pid}) ${gone ? 'exited' : 'was left running for 15 s'}`);
    const old = `${slow ? ', paused until the first build ended' : ''}; old daemon ${gone ? 'exited' : 'still running after 15 s'}`;
    return { note: `rm -rf the project and re-create it while its daemon (pid ${pid}) runs; build${old}; build`, built: true, recreated: true };
  }

  /** Starts a slow build through the daemon and waits until a tool has certainly started. */
  async #buildUnderWay() {
    const edited = this.edit();
    const from = this.logSize();
    writeFileSync(this.o.slowFlag, '');
    const h = this.cli(['build']);
    let exited = false;
    void h.done.then(() => (exited = true));
    await waitUntil(`a tool to start in \`${h.command}\` (run log) or the client to exit`, () => exited || this.logSize() > from, this.o.boundMs);
    return { h, edited, exited };
  }

  async op_kill_client() {
    const { h, edited, exited } = await this.#buildUnderWay();
    if (!exited) h.child.kill('SIGKILL');
    await h.bounded(this.o.boundMs);
    rmSync(this.o.slowFlag, { force: true });
    await this.build(['build'], 'the build after a client was killed');
    return { note: `${edited}; SIGKILL a client mid-build${exited ? ' (it had finished already)' : ''}; build`, built: true, uncertain: true };
  }

  async op_kill_daemon() {
    const { h, edited, exited } = await this.#buildUnderWay();
    const pid = this.daemonPid();
    let note = `${edited}; SIGKILL the daemon mid-build`;
    if (!exited && pid !== undefined) {
      const kids = descendants(pid);
      process.kill(pid, 'SIGKILL');
      await h.bounded(this.o.boundMs);
      await this.waitGone([pid, ...kids], `the killed daemon (pid ${pid}) and its tools`);
      note += ` (pid ${pid}, ${kids.length} tool process(es))`;
    } else {
      await h.bounded(this.o.boundMs);
      note += exited ? ' (the build had finished already)' : ' (no daemon record found)';
    }
    rmSync(this.o.slowFlag, { force: true });
    await this.build(['build'], 'the build after the daemon was killed');
    return { note: `${note}; build`, built: true, uncertain: true };
  }

  async op_sigstop() {
    let note = '';
    if (this.daemonPid() === undefined) {
      await this.build(['build'], 'starting a daemon to stop');
      note = 'build; ';
    }
    const pid = this.daemonPid();
    if (pid === undefined) throw new SoakFailure('a build through the daemon left no live daemon in .pipe/daemon.json');
    const kids = descendants(pid);
    process.kill(pid, 'SIGSTOP');
    this.stopped.add(pid);
    const args = this.rng.bool() ? ['stop'] : ['build'];
    // Must not hang: the bound is the check. Its exit code is not: a build may fail while
    // the stopped daemon holds the store, as long as it says so.
    // 30 s: the client's wait for a welcome (10 s) plus stop's SIGTERM and SIGKILL waits (5 s each).
    const r = await this.cli(args).bounded(Math.min(this.o.boundMs, 30_000));
    const said = (r.stdout + r.stderr).trim().split('\n')[0];
    note += `SIGSTOP the daemon (pid ${pid}); pipe ${args.join(' ')} -> exit ${r.code} ("${said}")`;
    if (args[0] === 'stop') {
      if (r.code !== 0) throw new SoakFailure(`\`pipe stop\` of a SIGSTOPped daemon exited ${r.code}:\n${tail(r.stdout + r.stderr)}`);
      await this.waitGone([pid, ...kids], `the daemon (pid ${pid}) that \`pipe stop\` stopped, and its tools`);
    }
    if (alive(pid)) process.kill(pid, 'SIGCONT');
    this.stopped.delete(pid);
    await this.build(['build'], 'the build after a SIGSTOPped daemon');
    return { note: `${note}; SIGCONT; build`, built: true };
  }

  async op_stop() {
    const pid = this.daemonPid();
    const kids = pid !== undefined ? descendants(pid) : [];
    await this.build(['stop']);
    if (pid !== undefined) await this.waitGone([pid, ...kids], `the daemon (pid ${pid}) that \`pipe stop\` stopped, and its tools`);
    return { note: `pipe stop${pid !== undefined ? ` (daemon pid ${pid})` : ' (no daemon)'}` };
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}
