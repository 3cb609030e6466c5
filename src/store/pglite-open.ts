import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import type { PGliteAssets } from "./pglite-assets.js";
import { PrefilledMemoryFS } from "./pglite-memory-fs.js";
import { loadTemplate, pgliteStartParams } from "./pglite-template.js";
import { extractTar, readTar } from "./tar.js";

/** The file whose presence makes a directory a PostgreSQL data dir. */
const VERSION_FILE = "PG_VERSION";

/** An open embedded engine, and whether this open made a new store (no database was in the dir). */
export interface OpenedPGlite {
  pglite: PGlite;
  created: boolean;
}

/**
 * Opens embedded PGlite in `dataDir` (null: in memory). A new store starts from the template `npm run build`
 * made (an initialised, migrated data dir): running initdb costs seconds and a second WASM instance, several
 * hundred megabytes at peak. Without a fitting template PGlite runs initdb itself, as before.
 */
export async function openPGlite(
  dataDir: string | null,
  assets: PGliteAssets | null = null,
): Promise<OpenedPGlite> {
  const startParams = pgliteStartParams(PGlite.defaultStartParams);
  const options: PGliteOptions = { startParams, ...assets };
  if (dataDir === null) {
    const template = await loadTemplate();
    const fs = template ? new PrefilledMemoryFS(readTar(template)) : undefined;
    return { pglite: await PGlite.create({ ...options, ...(fs ? { fs } : {}) }), created: true };
  }
  const created = !existsSync(join(dataDir, VERSION_FILE));
  if (created) {
    const template = await loadTemplate();
    // Written straight to disk, not through PGlite's loader, which holds several copies of the archive in
    // memory; PG_VERSION goes last, so an interrupted copy is not taken for a database and is redone.
    if (template) extractTar(template, dataDir, VERSION_FILE);
  }
  return { pglite: await PGlite.create(dataDir, options), created };
}
