import { type Kysely, sql } from "kysely";

/**
 * The key change feed (a trigger that NOTIFYs on every change, inside the changing transaction, so no code
 * path can forget it), per-minute usage counters, and the aggregated authentication audit. The trigger
 * ignores last_used_time: usage bookkeeping must not flush every replica's cache once a second.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function keyward_key_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('keyward_keys', TG_TABLE_SCHEMA || ':' || coalesce(NEW.id, OLD.id));
      return null;
    end
    $$
  `.execute(db);
  await sql`
    create trigger keys_changed
    after update of revision, status, scopes, ip_allowlist, expire_time, rate_limit, environment, company_id,
      key_hash, pepper_id or delete
    on keys for each row execute function keyward_key_changed()
  `.execute(db);

  await db.schema
    .createTable("key_usage")
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("company_id", "text", (c) => c.notNull())
    .addColumn("minute", "timestamptz", (c) => c.notNull())
    .addColumn("request_count", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("denied_count", "bigint", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("key_usage_pk", ["key_id", "minute", "company_id"])
    .execute();

  await db.schema
    .createTable("key_usage_endpoints")
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("minute", "timestamptz", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("request_count", "bigint", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("key_usage_endpoints_pk", ["key_id", "minute", "method", "path"])
    .execute();

  // Known keys: outcomes per key per minute. Unknown keys: failures per source IP per minute (key_id null).
  await db.schema
    .createTable("auth_events")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("minute", "timestamptz", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("company_id", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("source_ip", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("count", "bigint", (c) => c.notNull())
    .addColumn("source_ips", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addUniqueConstraint("auth_events_bucket", ["minute", "key_id", "company_id", "source_ip", "outcome"])
    .execute();
  await db.schema.createIndex("auth_events_key").on("auth_events").columns(["key_id", "id"]).execute();
  await db.schema
    .createIndex("auth_events_company")
    .on("auth_events")
    .columns(["company_id", "id"])
    .execute();
}
