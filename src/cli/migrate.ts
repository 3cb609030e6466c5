import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { awaitServerHandle } from "../store/data-dir.js";
import { embeddedDataDir } from "../store/database-target.js";
import { parseFlags } from "./args.js";
import { announceNewStore } from "./store-notice.js";

export const MIGRATE_HELP = `Usage: keyward migrate

Brings the database schema up to date. Safe to run while other replicas start or run.`;

/** `keyward migrate`. */
export async function migrate(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseFlags(args, {});
  if (flags.help) {
    console.log(MIGRATE_HELP);
    return 0;
  }
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, process.stderr);
  const dataDir = embeddedDataDir(config.store);
  const server = dataDir ? await awaitServerHandle(dataDir) : null;
  if (server) {
    console.error(`keyward serve (pid ${server.pid}) holds the data dir and migrated it when it started`);
    return 0;
  }
  // Loaded here: the store is the slow part of starting the CLI.
  const { openStore } = await import("../store/open-store.js");
  const store = await openStore({ target: config.store, peppers: config.peppers, logger });
  announceNewStore(store.database);
  await store.close();
  console.error("database is up to date");
  return 0;
}
