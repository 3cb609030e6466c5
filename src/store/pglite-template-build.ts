import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator } from "kysely";
import { migrationProvider } from "./migrations/index.js";
import { PGliteDialect } from "./pglite-dialect.js";
import {
  currentManifest,
  pgliteStartParams,
  readManifest,
  TEMPLATE_DIR,
  TEMPLATE_FILES,
  templateFits,
} from "./pglite-template.js";

/**
 * Makes the template new embedded stores start from: initdb (with 1 MB WAL segments instead of 16 MB, so the
 * archive stays small) and every migration, dumped as a tar. Skipped when the template there is already
 * current, so `npm run build` pays for it once.
 */
export async function buildPGliteTemplate(dir = TEMPLATE_DIR): Promise<"built" | "current"> {
  const manifest = await currentManifest();
  const existing = readManifest(dir);
  if (
    existing &&
    templateFits(existing, manifest) &&
    existing.migrations.length === manifest.migrations.length
  ) {
    return "current";
  }
  const pglite = await PGlite.create({
    initDbStartParams: ["--wal-segsize=1"],
    startParams: pgliteStartParams(PGlite.defaultStartParams),
  });
  try {
    const db = new Kysely({ dialect: new PGliteDialect(pglite) });
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    await pglite.exec("checkpoint");
    const archive = new Uint8Array(await (await pglite.dumpDataDir("none")).arrayBuffer());
    // Written aside and renamed into place: a half-written template must never be taken for a whole one.
    const draft = `${dir.replace(/\/+$/, "")}.draft-${process.pid}`;
    rmSync(draft, { recursive: true, force: true });
    mkdirSync(draft, { recursive: true });
    writeFileSync(join(draft, TEMPLATE_FILES.archive), archive);
    writeFileSync(join(draft, TEMPLATE_FILES.manifest), `${JSON.stringify(manifest)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(draft, dir);
    return "built";
  } finally {
    await pglite.close();
  }
}
