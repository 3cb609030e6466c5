/** Where the data lives: a PostgreSQL server, or embedded PGlite in a directory (null: in memory). */
export type DatabaseTarget =
  | { kind: "postgres"; url: string; schema?: string | undefined }
  | { kind: "pglite"; dataDir: string | null };

/**
 * The data dir of an embedded store kept on disk, or null (PostgreSQL, or PGlite in memory). Apart from the
 * database module, so a command can ask before it loads the database code.
 */
export function embeddedDataDir(target: DatabaseTarget): string | null {
  return target.kind === "pglite" ? target.dataDir : null;
}
