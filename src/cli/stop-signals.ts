/** SIGTERM and SIGINT, as an AbortSignal whose reason is the signal's name. */
export interface StopSignals {
  signal: AbortSignal;
  /** Puts the default handlers back. */
  dispose(): void;
}

/**
 * Catches SIGTERM and SIGINT from now on. As PID 1 in a container a process that has no handler ignores
 * SIGTERM, so `serve` installs this before it loads anything: a stop asked for during start is heard, and start
 * unwinds at its next step instead of being cut half-way.
 */
export function trapStopSignals(): StopSignals {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(name);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}
