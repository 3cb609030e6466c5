import type { Kysely } from "kysely";

/**
 * Leak reports on keys: the first report of a key (when, who reported it, where it was found). A revoked key
 * keeps its report; under the `notify` policy the report is the only thing that marks a still-valid key as
 * leaked. The key itself is never stored, so neither is the reported token.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("keys")
    .addColumn("leak_time", "timestamptz")
    .addColumn("leak_reporter", "text")
    .addColumn("leak_url", "text")
    .addColumn("leak_source", "text")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("keys")
    .dropColumn("leak_time")
    .dropColumn("leak_reporter")
    .dropColumn("leak_url")
    .dropColumn("leak_source")
    .execute();
}
