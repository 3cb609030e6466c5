import { App } from "../app.js";
import { loadConfig } from "../config.js";
import { AppContext } from "../context.js";
import { createLogger } from "../logger.js";
import { parseFlags } from "./args.js";

export const SERVE_HELP = `Usage: keyward serve [--dev] [--authz-listen HOST:PORT] [--admin-listen HOST:PORT]

Runs both listeners: ext_authz Check on the authz listener (default 127.0.0.1:9191) and the
KeyAdmin API with /healthz, /readyz and /metrics on the admin listener (default 127.0.0.1:8181).

  --dev                 admin API without an admin key (loopback listeners only; Check is unchanged)
  --authz-listen ADDR   overrides KEYWARD_AUTHZ_LISTEN
  --admin-listen ADDR   overrides KEYWARD_ADMIN_LISTEN`;

/** `keyward serve`: runs until SIGTERM or SIGINT, then drains and exits. */
export async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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
  const app = await App.start(await AppContext.fromConfig(config, { logger }));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await app.destroy();
  logger.info("stopped");
  return 0;
}
