import type { App } from "../app.js";
import { loadConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { createLogger } from "../logger.js";
import { parseFlags } from "./args.js";
import { trapStopSignals } from "./stop-signals.js";
import { announceNewStore } from "./store-notice.js";

/** After the drain, how long closing may take before the process exits anyway. */
const CLOSE_BUDGET_MS = 4500;

export const SERVE_HELP = `Usage: keyward serve [--dev] [--authz-listen HOST:PORT] [--admin-listen HOST:PORT]

Runs both listeners: ext_authz Check on the authz listener (default 127.0.0.1:9191) and the
KeyAdmin API with /healthz, /readyz and /metrics on the admin listener (default 127.0.0.1:8181).

  --dev                 admin API without an admin key (loopback listeners only; Check is unchanged)
  --authz-listen ADDR   overrides KEYWARD_AUTHZ_LISTEN
  --admin-listen ADDR   overrides KEYWARD_ADMIN_LISTEN`;

/**
 * `keyward serve`: runs until SIGTERM or SIGINT, then says NOT_SERVING, keeps answering for the drain
 * (`KEYWARD_DRAIN`), closes, and exits; within the drain plus 4.5 s whatever the database does. A stop asked
 * for during start unwinds the start at its next step.
 */
export async function serve(args: string[], env: NodeJS.ProcessEnv, stop?: AbortSignal): Promise<number> {
  const flags = parseFlags(args, {
    dev: { type: "boolean" },
    "authz-listen": { type: "string" },
    "admin-listen": { type: "string" },
  });
  if (flags.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const config = loadConfig(env, {
    dev: flags.dev,
    authzListen: flags["authz-listen"],
    adminListen: flags["admin-listen"],
  });
  const logger = createLogger(config.logLevel);
  const own = stop ? undefined : trapStopSignals();
  const signal = stop ?? (own as NonNullable<typeof own>).signal;
  try {
    const stopped = new Promise<void>((resolve) => {
      const heard = () => {
        logger.info({ signal: signal.reason }, "shutting down");
        resolve();
      };
      if (signal.aborted) heard();
      else signal.addEventListener("abort", heard, { once: true });
    });
    let app: App;
    try {
      // Loaded once the flags and settings are known to be good: a mistyped flag is answered at once.
      const [{ App }, { AppContext }] = await Promise.all([import("../app.js"), import("../context.js")]);
      signal.throwIfAborted();
      app = await App.start(await AppContext.fromConfig(config, { logger }), signal);
      announceNewStore(app.ctx.database);
    } catch (err) {
      if (!signal.aborted) throw err;
      logger.info("stopped before serving");
      return 0;
    }
    await stopped;
    const deadline = exitAfter(config.drainMs + CLOSE_BUDGET_MS, logger, app);
    await app.drain(config.drainMs);
    await app.destroy();
    clearTimeout(deadline);
    logger.info("stopped");
    return 0;
  } finally {
    own?.dispose();
  }
}

/**
 * Ends the process if closing hangs (a frozen database never answers the last flush or the pool's goodbye):
 * what was not written is lost, and the log says how much.
 */
function exitAfter(ms: number, logger: Logger, app: App): NodeJS.Timeout {
  const timer = setTimeout(() => {
    logger.error(
      { unwrittenBuckets: app.ctx.traffic.pending },
      "shutdown did not finish in time (is the database reachable?): exiting; usage and audit not yet written are lost",
    );
    process.exit(1);
  }, ms);
  timer.unref();
  return timer;
}
