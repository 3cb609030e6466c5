import { type Kysely, sql } from "kysely";

/**
 * Webhook endpoints, the event outbox and its deliveries, and the bookkeeping that keeps scheduled notices
 * and alerts to once. A new delivery NOTIFYs at commit (from a trigger, so no writer can forget it; PostgreSQL folds
 * a transaction's identical notifications into one), which wakes every replica's delivery worker.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("company_id", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("event_types", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("disabled", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("disabled_reason", "text")
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("previous_secret", "text")
    .addColumn("previous_secret_expire_time", "timestamptz")
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addColumn("update_time", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webhooks_company").on("webhooks").columns(["company_id", "id"]).execute();

  await db.schema
    .createTable("webhook_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("company_ids", sql`text[]`, (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("seq", "bigserial", (c) => c.notNull().unique())
    .addColumn("webhook_id", "text", (c) => c.notNull().references("webhooks.id").onDelete("cascade"))
    .addColumn("event_id", "text", (c) => c.notNull().references("webhook_events.id").onDelete("cascade"))
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("status_code", "integer")
    .addColumn("error", "text")
    .addColumn("time", "timestamptz", (c) => c.notNull())
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addColumn("next_attempt_time", "timestamptz")
    .addColumn("lease_until", "timestamptz")
    .execute();
  await sql`alter table webhook_deliveries add constraint webhook_deliveries_state_check
    check (state in ('pending', 'succeeded', 'failed'))`.execute(db);
  // The worker's question, "what is due?", reads only pending rows.
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_time, seq)
    where state = 'pending'`.execute(db);
  await db.schema
    .createIndex("webhook_deliveries_webhook")
    .on("webhook_deliveries")
    .columns(["webhook_id", "seq"])
    .execute();
  await db.schema
    .createIndex("webhook_deliveries_event")
    .on("webhook_deliveries")
    .column("event_id")
    .execute();
  await sql`
    create function keyward_delivery_queued() returns trigger language plpgsql as $$
    begin
      perform pg_notify('keyward_webhooks', TG_TABLE_SCHEMA);
      return null;
    end
    $$
  `.execute(db);
  await sql`
    create trigger webhook_deliveries_queued after insert on webhook_deliveries
    for each row execute function keyward_delivery_queued()
  `.execute(db);

  await db.schema
    .createTable("key_notices")
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("notice", "text", (c) => c.notNull())
    .addColumn("expire_time", "timestamptz", (c) => c.notNull())
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("key_notices_pk", ["key_id", "notice", "expire_time"])
    .execute();

  await db.schema
    .createTable("key_alerts")
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("cause", "text", (c) => c.notNull())
    .addColumn("last_time", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("key_alerts_pk", ["key_id", "cause"])
    .execute();

  await db.schema
    .createTable("key_source_ips")
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("source_ip", "text", (c) => c.notNull())
    .addColumn("last_time", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("key_source_ips_pk", ["key_id", "source_ip"])
    .execute();
}
