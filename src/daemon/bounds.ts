// How long a client waits for a daemon, each bound overridable from the environment (tests
// use short ones). Every wait on a daemon uses one of these and names it when it runs out.

function fromEnv(name: string, fallback: number): number {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : fallback;
}

/** For the daemon's first answer (welcome) on a connection it accepted: PIPE_DAEMON_ANSWER_MS. */
export const answerMs = (): number => fromEnv('PIPE_DAEMON_ANSWER_MS', 10_000);

/** For a daemon asked to stop (or sent SIGTERM) to exit: PIPE_DAEMON_EXIT_MS. */
export const exitMs = (): number => fromEnv('PIPE_DAEMON_EXIT_MS', 10_000);

/** For a daemon to finish its queued jobs before a --no-daemon client takes the store: PIPE_DAEMON_DRAIN_MS. */
export const drainMs = (): number => fromEnv('PIPE_DAEMON_DRAIN_MS', 60_000);

/** For a freshly started daemon to answer: PIPE_DAEMON_START_MS. */
export const startMs = (): number => fromEnv('PIPE_DAEMON_START_MS', 5000);
