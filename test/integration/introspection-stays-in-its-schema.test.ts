import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/database.js";
import { dropSchema, freshSchema, TEST_DATABASE, TEST_DATABASE_URL } from "../helpers/test-app.js";

/**
 * Keyward on a PostgreSQL it shares (other deployments in other schemas, or parallel test suites): kysely's
 * migrator finds its own tables by introspection, and kysely's introspector scans every table of every
 * schema, looking each up again by name, so a table dropped elsewhere during the scan failed Keyward's start
 * ("relation … does not exist"). The drop has to land in a narrow moment of the scan, too rarely
 * to provoke reliably in a test; what is tested is that the scan never reads another schema.
 */
describe.runIf(TEST_DATABASE === "postgres")("introspection on a PostgreSQL shared with others", () => {
  const other = freshSchema();
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create schema "${other}"; create table "${other}".neighbour (id serial primary key)`);
  });
  afterAll(async () => {
    await admin.end();
    await dropSchema(other);
  });

  it("introspects its own schema only", async () => {
    const mine = freshSchema();
    const database = await Database.open({ kind: "postgres", url: TEST_DATABASE_URL, schema: mine });
    try {
      await database.migrate();
      const tables = await database.db.introspection.getTables({ withInternalKyselyTables: true });
      expect(tables.map((t) => t.name)).toContain("keys");
      expect(tables.map((t) => t.name)).toContain("kysely_migration");
      expect(tables.map((t) => t.name)).not.toContain("neighbour");
      expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([mine]));
      const keys = tables.find((t) => t.name === "keys");
      expect(keys?.columns.find((c) => c.name === "id")).toMatchObject({ isNullable: false });
      const publicTables = await database.db.introspection.getTables();
      expect(publicTables.map((t) => t.name)).not.toContain("kysely_migration");
    } finally {
      await database.close();
      await dropSchema(mine);
    }
  });
});
