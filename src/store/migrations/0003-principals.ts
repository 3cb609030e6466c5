import { type Kysely, sql } from "kysely";

/**
 * Credentials that act for several companies: integration keys (a list of companies) and user tokens (a
 * user's memberships). A membership change notifies every key of that user on the same change feed as key
 * changes, so removing a membership stops the token as fast as a revocation does.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("keys")
    .addColumn("kind", "text", (c) => c.notNull().defaultTo("standard"))
    .addColumn("company_ids", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn("user_id", "text")
    .execute();
  await sql`alter table keys add constraint keys_kind_check check (kind in ('standard', 'integration', 'user'))`.execute(
    db,
  );
  await sql`create index keys_company_ids on keys using gin (company_ids)`.execute(db);
  await db.schema
    .createIndex("keys_user")
    .on("keys")
    .column("user_id")
    .where(sql.ref("user_id"), "is not", null)
    .execute();
  await sql`drop trigger keys_changed on keys`.execute(db);
  await sql`
    create trigger keys_changed
    after update of revision, status, scopes, ip_allowlist, expire_time, rate_limit, environment, company_id,
      key_hash, pepper_id, kind, company_ids, user_id or delete
    on keys for each row execute function keyward_key_changed()
  `.execute(db);

  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("default_company_id", "text", (c) => c.notNull())
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addColumn("update_time", "timestamptz", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("memberships")
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("company_id", "text", (c) => c.notNull())
    .addColumn("create_time", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("memberships_pk", ["user_id", "company_id"])
    .execute();
  await db.schema
    .createIndex("memberships_company")
    .on("memberships")
    .columns(["company_id", "user_id"])
    .execute();

  await sql`
    create function keyward_membership_changed() returns trigger language plpgsql as $$
    declare
      k record;
    begin
      -- Both users when an update moves a membership: each one's tokens change what they may act for.
      for k in select id from keys
               where user_id in (NEW.user_id, OLD.user_id) loop
        perform pg_notify('keyward_keys', TG_TABLE_SCHEMA || ':' || k.id);
      end loop;
      return null;
    end
    $$
  `.execute(db);
  await sql`
    create trigger memberships_changed after insert or update or delete on memberships
    for each row execute function keyward_membership_changed()
  `.execute(db);
  await sql`alter table audit_events add column user_id text`.execute(db);
}
