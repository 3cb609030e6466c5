import type { Migration, MigrationProvider } from "kysely";
import * as m0001 from "./0001-keys-and-audit.js";
import * as m0002 from "./0002-change-feed-usage-auth-audit.js";
import * as m0003 from "./0003-principals.js";
import * as m0004 from "./0004-membership-scopes-retention.js";
import * as m0007 from "./0007-console-sessions.js";
import * as m0008 from "./0008-webhooks.js";
import * as m0009 from "./0009-leak-reports.js";

/** Every migration, in order. Names sort in the order they must run; never rename or edit a shipped one. */
const MIGRATIONS: Record<string, Migration> = {
  "0001-keys-and-audit": m0001,
  "0002-change-feed-usage-auth-audit": m0002,
  "0003-principals": m0003,
  "0004-membership-scopes-retention": m0004,
  "0007-console-sessions": m0007,
  "0008-webhooks": m0008,
  "0009-leak-reports": m0009,
};

/** Migrations compiled into the program, so a bundle or container needs no migration files on disk. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
