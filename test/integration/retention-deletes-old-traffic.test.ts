import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { AuditRepository } from "../../src/store/audit-repository.js";
import { Database } from "../../src/store/database.js";
import { RetentionRepository } from "../../src/store/retention-repository.js";
import { RetentionSweeper } from "../../src/usage/retention.js";
import { dropSchema, freshSchema, TEST_DATABASE, TEST_DATABASE_URL } from "../helpers/test-app.js";

/**
 * KEYWARD_RETENTION bounds the authentication audit and usage: what is older goes, in small batches, one
 * replica at a time; audit events stay. On PGlite, or PostgreSQL with KEYWARD_TEST_DATABASE=postgres (where
 * two replicas sweep one schema at once).
 */

const DAY = 86_400_000;
const NOW = Date.UTC(2030, 5, 1, 12, 0, 0);
const schema = TEST_DATABASE === "postgres" ? freshSchema() : undefined;
const open = async () => {
  const db = await Database.open(
    schema ? { kind: "postgres", url: TEST_DATABASE_URL, schema } : { kind: "pglite", dataDir: null },
  );
  await db.migrate();
  return db;
};
let database: Database;

beforeAll(async () => {
  database = await open();
});
afterAll(async () => {
  await database.close();
  if (schema) await dropSchema(schema);
});

const quiet = createLogger("silent", new Writable({ write: (_c, _e, done) => done() }));

function sweeper(db: Database, batchSize = 7) {
  return new RetentionSweeper(
    new RetentionRepository(db),
    { retentionMs: 90 * DAY, now: () => NOW, batchSize },
    quiet,
  );
}

/** `n` rows in each retained table at `minute`, for key `keyId`. */
async function seed(keyId: string, minute: Date, n: number) {
  const db = database.db;
  for (let i = 0; i < n; i++) {
    const m = new Date(minute.getTime() + i * 60_000);
    await db
      .insertInto("key_usage")
      .values({ key_id: keyId, company_id: "acme", minute: m, request_count: 1, denied_count: 0 })
      .execute();
    await db
      .insertInto("key_usage_endpoints")
      .values({ key_id: keyId, minute: m, method: "GET", path: "/", request_count: 1 })
      .execute();
    await db
      .insertInto("auth_events")
      .values({
        minute: m,
        key_id: keyId,
        company_id: "acme",
        source_ip: "",
        outcome: "allow",
        count: 1,
        source_ips: [],
      })
      .execute();
  }
}

async function rowsOf(keyId: string): Promise<number[]> {
  const db = database.db;
  const count = async (table: "key_usage" | "key_usage_endpoints" | "auth_events") =>
    (await db.selectFrom(table).select("minute").where("key_id", "=", keyId).execute()).length;
  return [await count("key_usage"), await count("key_usage_endpoints"), await count("auth_events")];
}

describe("retention", () => {
  it("deletes rows older than the retention in batches, keeps newer ones and every audit event", async () => {
    await seed("key_old", new Date(NOW - 91 * DAY), 20);
    await seed("key_recent", new Date(NOW - 89 * DAY), 5);
    await new AuditRepository(database.db).record({
      actor: "test",
      action: "key.create",
      keyId: "key_old",
      companyId: "acme",
    });
    // Far older than the retention: audit events are kept whatever their age.
    await sql`update audit_events set time = ${new Date(NOW - 400 * DAY)} where key_id = 'key_old'`.execute(
      database.db,
    );

    expect(await sweeper(database).sweep()).toBe(60);
    expect(await rowsOf("key_old")).toEqual([0, 0, 0]);
    expect(await rowsOf("key_recent")).toEqual([5, 5, 5]);
    const audit = await database.db
      .selectFrom("audit_events")
      .select("id")
      .where("key_id", "=", "key_old")
      .execute();
    expect(audit).toHaveLength(1);
    expect(await sweeper(database).sweep()).toBe(0);
  });

  it("two replicas sweeping at once delete each row once, without an error", async () => {
    await seed("key_twice", new Date(NOW - 200 * DAY), 30);
    const other = schema ? await open() : database;
    try {
      const [a, b] = await Promise.all([sweeper(database, 5).sweep(), sweeper(other, 5).sweep()]);
      const again = await sweeper(database, 5).sweep();
      expect(a + b + again).toBe(90);
      expect(await rowsOf("key_twice")).toEqual([0, 0, 0]);
    } finally {
      if (other !== database) await other.close();
    }
  });
});
