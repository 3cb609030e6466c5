import { type Kysely, sql } from "kysely";

/**
 * Membership scopes: what a user's tokens may do when acting for a company, granted by that company. The
 * membership in the user's default company holds `*`; a membership made before scopes existed was never
 * granted anything by its company, so it holds none until that company grants them (no scopes still lets a
 * token act for the company on routes that require no scope). Also indexes by time, for retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("memberships")
    .addColumn("scopes", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .execute();
  await sql`
    update memberships m set scopes = '{*}'
    from users u where u.id = m.user_id and u.default_company_id = m.company_id
  `.execute(db);
  // The trigger of 0003 notifies on any update: a scope change reaches every cached token of the user.
  await db.schema.createIndex("key_usage_minute").on("key_usage").column("minute").execute();
  await db.schema
    .createIndex("key_usage_endpoints_minute")
    .on("key_usage_endpoints")
    .column("minute")
    .execute();
}
