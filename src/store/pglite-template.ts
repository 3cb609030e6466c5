import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrationProvider } from "./migrations/index.js";

/**
 * Where `npm run build` leaves the initialised data dir: `dist/pglite-template/` of the package. This module
 * sits two levels below the package root both as source (src/store) and compiled (dist/store), so the same
 * relative path finds it from either.
 */
export const TEMPLATE_DIR = fileURLToPath(new URL("../../dist/pglite-template/", import.meta.url));
const ARCHIVE = "data.tar";
const MANIFEST = "manifest.json";

/** What a template was made from: it fits only the same PGlite and a prefix of our migrations. */
export interface TemplateManifest {
  pglite: string;
  migrations: string[];
}

/**
 * PGlite's own start parameters plus a smaller buffer pool. initdb sizes `shared_buffers` at 128 MB, which
 * PGlite allocates and zeroes on every start (over a second and 128 MB of memory); a key store's working set
 * is a few megabytes, and the operating system caches the files underneath.
 */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, "-c", "shared_buffers=16MB"];
}

/** The installed PGlite's version (a template from another version is not used). */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const pkg = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** The migrations this program ships, in order. */
export async function migrationNames(): Promise<string[]> {
  return Object.keys(await migrationProvider.getMigrations()).sort();
}

/** The manifest a template built now would carry. */
export async function currentManifest(): Promise<TemplateManifest> {
  return { pglite: pgliteVersion(), migrations: await migrationNames() };
}

/** Reads a template's manifest, or null when there is none. */
export function readManifest(dir = TEMPLATE_DIR): TemplateManifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as TemplateManifest;
  } catch {
    return null;
  }
}

/**
 * Whether a template can seed a new store for this program: same PGlite, and its migrations a prefix of ours
 * (the rest are applied at start as usual). A template from a build with other migrations is not used, since
 * the migrator refuses a database that ran migrations it does not know.
 */
export function templateFits(template: TemplateManifest, current: TemplateManifest): boolean {
  return (
    template.pglite === current.pglite &&
    template.migrations.length <= current.migrations.length &&
    template.migrations.every((name, i) => current.migrations[i] === name)
  );
}

/** The template archive when one is built and fits, else null (the store then runs initdb itself). */
export async function loadTemplate(dir = TEMPLATE_DIR): Promise<Uint8Array | null> {
  const manifest = readManifest(dir);
  if (!manifest || !templateFits(manifest, await currentManifest())) return null;
  try {
    return readFileSync(join(dir, ARCHIVE));
  } catch {
    return null;
  }
}

/** File names inside the template dir. */
export const TEMPLATE_FILES = { archive: ARCHIVE, manifest: MANIFEST } as const;
