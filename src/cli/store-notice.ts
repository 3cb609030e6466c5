import { existsSync } from "node:fs";
import { join } from "node:path";
import { lockHolder } from "../store/data-dir.js";
import type { Database } from "../store/database.js";
import type { DatabaseTarget as StoreConfig } from "../store/database-target.js";

/**
 * One stderr line when a command made a new embedded store. Run from the wrong directory, `keygen` would
 * otherwise quietly mint keys into a second store that the server never reads.
 */
export function announceNewStore(database: Database): void {
  const target = database.target;
  if (!database.createdDataDir || target.kind !== "pglite" || !target.dataDir) return;
  console.error(
    `keyward: created a new store in ${target.dataDir} (only a server using this data dir sees its keys; set KEYWARD_DATA_DIR to use another)`,
  );
}

/** Which store the configuration points at, for `status`: never a password. */
export function describeStore(store: StoreConfig): string {
  if (store.kind === "postgres") {
    const url = new URL(store.url);
    return `PostgreSQL ${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`;
  }
  if (!store.dataDir) return "in-memory PGlite (memory://): nothing is kept";
  if (!existsSync(join(store.dataDir, "PG_VERSION"))) {
    return `${store.dataDir}: no store there yet (the first command that writes creates one)`;
  }
  const holder = lockHolder(store.dataDir);
  return `${store.dataDir} (embedded PGlite, ${holder === null ? "not in use" : `held by process ${holder}`})`;
}
