import { type Kysely, sql } from "kysely";

/** Keys and their audit log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("company_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("scopes", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("ip_allowlist", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("tags", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("key_hash", "bytea", (c) => c.notNull().unique())
    .addColumn("pepper_id", "text", (c) => c.notNull())
    .addColumn("hint", "text", (c) => c.notNull())
    .addColumn("rate_limit", "jsonb")
    .addColumn("expire_time", "timestamptz")
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addColumn("update_time", "timestamptz", (c) => c.notNull())
    .addColumn("last_used_time", "timestamptz")
    .addColumn("revoke_time", "timestamptz")
    .addColumn("revoke_reason", "text")
    .addColumn("suspend_reason", "text")
    .addColumn("rotated_from_key_id", "text")
    .addColumn("rotated_to_key_id", "text")
    .addColumn("revision", "integer", (c) => c.notNull().defaultTo(1))
    .addCheckConstraint("keys_status_check", sql`status in ('active', 'suspended', 'revoked')`)
    .addCheckConstraint("keys_environment_check", sql`environment in ('live', 'test')`)
    .execute();
  await db.schema.createIndex("keys_company_page").on("keys").columns(["company_id", "id"]).execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("time", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("key_id", "text")
    .addColumn("company_id", "text", (c) => c.notNull())
    .addColumn("company_ids", sql`text[]`, (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("request_id", "text")
    .addColumn("source_ip", "text")
    .addColumn("before", "jsonb")
    .addColumn("after", "jsonb")
    .execute();
  await db.schema.createIndex("audit_events_key").on("audit_events").columns(["key_id", "id"]).execute();
  await sql`create index audit_events_companies on audit_events using gin (company_ids)`.execute(db);
}
