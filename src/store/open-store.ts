import { randomBytes } from "node:crypto";
import { KeyHasher, makePepper } from "../keys/hasher.js";
import type { Logger } from "../logger.js";
import { dataDirPepper, lockDataDir } from "./data-dir.js";
import { Database, type DatabaseOptions } from "./database.js";
import { type DatabaseTarget, embeddedDataDir } from "./database-target.js";

/** What opening the store needs. */
export interface OpenStoreOptions extends DatabaseOptions {
  target: DatabaseTarget;
  /** Configured peppers, current first; none means the embedded store keeps (or makes) its own. */
  peppers: readonly Buffer[];
  logger: Logger;
}

/** An open, migrated store and the hasher for its keys. */
export interface OpenStore {
  database: Database;
  hasher: KeyHasher;
  /** Closes the database and frees the data dir. */
  close(): Promise<void>;
}

/**
 * Opens the store (taking the data dir for this process when it is embedded), settles the pepper and
 * migrates.
 */
export async function openStore(options: OpenStoreOptions): Promise<OpenStore> {
  const { target, logger } = options;
  const dataDir = embeddedDataDir(target);
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  try {
    const peppers = options.peppers.length > 0 ? options.peppers : [embeddedPepper(target, logger)];
    const database = await Database.open(target, options);
    try {
      const applied = await database.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, "database migrated");
    } catch (err) {
      await database.close();
      throw err;
    }
    return {
      database,
      hasher: new KeyHasher(peppers.map(makePepper)),
      close: async () => {
        await database.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

function embeddedPepper(target: DatabaseTarget, logger: Logger): Buffer {
  if (target.kind !== "pglite") throw new Error("a pepper is required with an external database");
  if (!target.dataDir) {
    logger.warn("no KEYWARD_PEPPER set: using a throwaway pepper for this in-memory store");
    return randomBytes(32);
  }
  const { secret, created } = dataDirPepper(target.dataDir);
  if (created) {
    logger.warn(
      { dataDir: target.dataDir },
      "no KEYWARD_PEPPER set: generated one and kept it in the data dir; set KEYWARD_PEPPER_FILE in production",
    );
  }
  return secret;
}
