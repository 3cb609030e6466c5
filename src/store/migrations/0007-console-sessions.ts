import type { Kysely } from "kysely";

/**
 * Web console sessions. Only a hash of the session id is stored, so a copy of the table signs nobody in; the
 * admin key a session acts with is re-read on every call, so suspending or revoking it ends the session on
 * every replica without any message between them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("console_sessions")
    .addColumn("id_hash", "bytea", (c) => c.primaryKey())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addColumn("last_seen_time", "timestamptz", (c) => c.notNull())
    .addColumn("expire_time", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("console_sessions_key").on("console_sessions").column("key_id").execute();
  await db.schema
    .createIndex("console_sessions_expire")
    .on("console_sessions")
    .column("expire_time")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("console_sessions").execute();
}
