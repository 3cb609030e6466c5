import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyHasher, makePepper } from "../../src/keys/hasher.js";
import { mintSecret, newKeyId } from "../../src/keys/mint.js";
import { defaultKeySpec as keySpec } from "../../src/lifecycle/key-spec.js";
import { createLogger } from "../../src/logger.js";
import { Metrics } from "../../src/metrics.js";
import { Database } from "../../src/store/database.js";
import { KeyRepository } from "../../src/store/key-repository.js";
import { TrafficRepository } from "../../src/store/traffic-repository.js";
import { MAX_IPS_PER_BUCKET, type TrafficRecord, TrafficRecorder } from "../../src/usage/traffic-recorder.js";
import { dropSchema, freshSchema, TEST_DATABASE, TEST_DATABASE_URL } from "../helpers/test-app.js";

/**
 * The recorder against a real database (in-memory PGlite, or a schema of its own on PostgreSQL) through the
 * real repository: what is recorded is what the tables hold, exactly, after a flush.
 */
const MINUTE = 60_000;
const M0 = Date.UTC(2030, 0, 1, 12, 0, 0);

let database: Database;
const schema = TEST_DATABASE === "postgres" ? freshSchema() : undefined;

/** A migrated database on the suite's store: PGlite in memory, or the suite's PostgreSQL schema. */
async function openDatabase(): Promise<Database> {
  const db = await Database.open(
    schema ? { kind: "postgres", url: TEST_DATABASE_URL, schema } : { kind: "pglite", dataDir: null },
  );
  await db.migrate();
  return db;
}

beforeAll(async () => {
  database = await openDatabase();
});
afterAll(async () => {
  await database.close();
  if (schema) await dropSchema(schema);
});

/** A recorder on `db` with its own metrics and a log kept in memory. */
function recorder(db = database, maxBuckets?: number) {
  const metrics = new Metrics();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger("info", sink);
  const r = new TrafficRecorder({ sink: new TrafficRepository(db), metrics, logger, maxBuckets });
  return { r, metrics, logs };
}

let counter = 0;
function uniqueKeyId(): string {
  counter++;
  return `key_rec${counter}_${randomBytes(4).toString("hex")}`;
}

function rec(overrides: Partial<TrafficRecord>): TrafficRecord {
  return {
    outcome: "allow",
    keyId: null,
    companyId: null,
    method: "GET",
    path: "/",
    sourceIp: "203.0.113.1",
    now: M0 + 1000,
    ...overrides,
  };
}

async function usageRows(keyId: string) {
  const rows = await database.db
    .selectFrom("key_usage")
    .selectAll()
    .where("key_id", "=", keyId)
    .orderBy("minute")
    .orderBy("company_id")
    .execute();
  return rows.map((r) => ({
    company: r.company_id,
    minute: new Date(r.minute).getTime(),
    requests: Number(r.request_count),
    denied: Number(r.denied_count),
  }));
}

async function endpointRows(keyId: string) {
  const rows = await database.db
    .selectFrom("key_usage_endpoints")
    .selectAll()
    .where("key_id", "=", keyId)
    .execute();
  return Object.fromEntries(rows.map((r) => [`${r.method} ${r.path}`, Number(r.request_count)]));
}

async function authRows(filter: { keyId?: string; sourceIp?: string }) {
  let q = database.db.selectFrom("auth_events").selectAll();
  if (filter.keyId !== undefined) q = q.where("key_id", "=", filter.keyId);
  if (filter.sourceIp !== undefined) q = q.where("source_ip", "=", filter.sourceIp).where("key_id", "=", "");
  const rows = await q.orderBy("outcome").execute();
  return rows.map((r) => ({
    outcome: r.outcome,
    company: r.company_id,
    minute: new Date(r.minute).getTime(),
    count: Number(r.count),
    ips: [...r.source_ips].sort(),
  }));
}

/**
 * Records the text of every statement `db` sends to its engine until `stop()`: the embedded engine's own
 * entry point, or node-postgres's client, through which every statement (begin and commit too) goes.
 */
function watchStatements(db: Database): { texts: string[]; stop(): void } {
  const texts: string[] = [];
  const engine = db.embedded;
  if (engine) {
    const query = engine.query;
    engine.query = ((text: string, ...rest: never[]) => {
      texts.push(text);
      return query.call(engine, text, ...rest);
    }) as typeof engine.query;
    const stop = () => {
      engine.query = query;
    };
    return { texts, stop };
  }
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0];
    texts.push(typeof config === "string" ? config : String((config as { text?: unknown }).text));
    return Reflect.apply(query, this, args);
  } as typeof query;
  const stop = () => {
    pg.Client.prototype.query = query;
  };
  return { texts, stop };
}

async function flushCount(metrics: Metrics, result: "ok" | "error"): Promise<number> {
  const { values } = await metrics.trafficFlushes.get();
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe("TrafficRecorder exact counts", () => {
  it("writes usage, endpoints and the auth audit exactly as recorded", async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 23; i++)
      r.record(rec({ keyId: key, companyId: "acme", path: "/v1/a", sourceIp: "10.0.0.1" }));
    for (let i = 0; i < 14; i++)
      r.record(rec({ keyId: key, companyId: "acme", method: "POST", path: "/v1/b", sourceIp: "10.0.0.2" }));
    for (let i = 0; i < 5; i++)
      r.record(rec({ keyId: key, companyId: "acme", outcome: "insufficient_scope", sourceIp: "10.0.0.3" }));
    for (let i = 0; i < 4; i++) r.record(rec({ outcome: "invalid_key", sourceIp: "198.51.100.1" }));
    for (let i = 0; i < 3; i++) r.record(rec({ outcome: "invalid_key", sourceIp: "198.51.100.2" }));
    r.record(rec({ outcome: "malformed_key", sourceIp: "198.51.100.2" }));
    await r.flush();

    expect(await usageRows(key)).toEqual([{ company: "acme", minute: M0, requests: 37, denied: 5 }]);
    expect(await endpointRows(key)).toEqual({ "GET /v1/a": 23, "POST /v1/b": 14 });
    expect(await authRows({ keyId: key })).toEqual([
      { outcome: "allow", company: "acme", minute: M0, count: 37, ips: ["10.0.0.1", "10.0.0.2"] },
      { outcome: "insufficient_scope", company: "acme", minute: M0, count: 5, ips: ["10.0.0.3"] },
    ]);
    const byIp1 = await authRows({ sourceIp: "198.51.100.1" });
    const byIp2 = await authRows({ sourceIp: "198.51.100.2" });
    expect(byIp1.map((a) => [a.outcome, a.count])).toEqual([["invalid_key", 4]]);
    expect(byIp2.map((a) => [a.outcome, a.count])).toEqual([
      ["invalid_key", 3],
      ["malformed_key", 1],
    ]);
  });

  it("buckets by minute and by acting company", async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    r.record(rec({ keyId: key, companyId: "acme", now: M0 + 59_999 }));
    r.record(rec({ keyId: key, companyId: "acme", now: M0 + MINUTE }));
    r.record(rec({ keyId: key, companyId: "globex", now: M0 + MINUTE + 5 }));
    r.record(rec({ keyId: key, companyId: "globex", now: M0 + MINUTE + 6, outcome: "ip_not_allowed" }));
    await r.flush();
    expect(await usageRows(key)).toEqual([
      { company: "acme", minute: M0, requests: 1, denied: 0 },
      { company: "acme", minute: M0 + MINUTE, requests: 1, denied: 0 },
      { company: "globex", minute: M0 + MINUTE, requests: 1, denied: 1 },
    ]);
  });

  it("adds to the stored counters across flushes", async () => {
    const { r, metrics } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 3; i++) r.record(rec({ keyId: key, companyId: "acme" }));
    await r.flush();
    for (let i = 0; i < 4; i++) r.record(rec({ keyId: key, companyId: "acme" }));
    r.record(rec({ keyId: key, companyId: "acme", outcome: "rate_limited" }));
    await r.flush();
    expect(await usageRows(key)).toEqual([{ company: "acme", minute: M0, requests: 7, denied: 1 }]);
    expect(await endpointRows(key)).toEqual({ "GET /": 7 });
    expect((await authRows({ keyId: key })).map((a) => [a.outcome, a.count])).toEqual([
      ["allow", 7],
      ["rate_limited", 1],
    ]);
    expect(await flushCount(metrics, "ok")).toBe(2);
  });

  it("writes each batch in one statement, whose text is the same whatever the batch holds", async () => {
    // The flush runs on the thread that answers Checks: one round trip, nothing built per batch.
    const { r } = recorder();
    const statements = watchStatements(database);
    const key = uniqueKeyId();
    r.record(rec({ keyId: key, companyId: "acme", path: "/v1/a", sourceIp: "10.0.0.1" }));
    await r.flush();
    // Past the 500 rows a statement once carried, and every table at once: keys, endpoints, keyless sources.
    const many = Array.from({ length: 1200 }, () => uniqueKeyId());
    for (const id of many) r.record(rec({ keyId: id, companyId: "globex", path: `/v1/${id}` }));
    r.record(rec({ keyId: key, companyId: "acme", outcome: "insufficient_scope", sourceIp: "10.0.0.2" }));
    r.record(rec({ outcome: "invalid_key", sourceIp: "198.51.100.9" }));
    await r.flush();
    statements.stop();

    expect(statements.texts).toHaveLength(2);
    expect(statements.texts[1]).toBe(statements.texts[0]);
    expect(await usageRows(key)).toEqual([{ company: "acme", minute: M0, requests: 1, denied: 1 }]);
    expect(await usageRows(many[1199] as string)).toEqual([
      { company: "globex", minute: M0, requests: 1, denied: 0 },
    ]);
    expect(await endpointRows(many[0] as string)).toEqual({ [`GET /v1/${many[0]}`]: 1 });
    expect((await authRows({ sourceIp: "198.51.100.9" })).map((a) => [a.outcome, a.count])).toEqual([
      ["invalid_key", 1],
    ]);
  });

  it("writes nothing and counts no flush when nothing was recorded", async () => {
    const { r, metrics } = recorder();
    await r.flush();
    expect(await flushCount(metrics, "ok")).toBe(0);
  });
});

describe("TrafficRecorder bounds", () => {
  it('keeps 64 endpoints per key and minute and counts the rest as "(other)"', async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 70; i++) r.record(rec({ keyId: key, path: `/v1/items/${i}` }));
    // Already-known endpoints keep counting under their own path after the cap is reached.
    r.record(rec({ keyId: key, path: "/v1/items/0" }));
    r.record(rec({ keyId: key, path: "/v1/items/69" }));
    await r.flush();
    const endpoints = await endpointRows(key);
    expect(Object.keys(endpoints)).toHaveLength(65);
    expect(endpoints["GET (other)"]).toBe(7);
    expect(endpoints["GET /v1/items/0"]).toBe(2);
    expect(endpoints["GET /v1/items/63"]).toBe(1);
    expect(endpoints["GET /v1/items/64"]).toBeUndefined();
    expect(Object.values(endpoints).reduce((a, b) => a + b, 0)).toBe(72);
  });

  it(`keeps at most ${MAX_IPS_PER_BUCKET} source IPs per key and outcome, and counts every request`, async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 70; i++) r.record(rec({ keyId: key, sourceIp: `10.1.0.${i}` }));
    await r.flush();
    const [allow] = await authRows({ keyId: key });
    expect(allow?.count).toBe(70);
    expect(allow?.ips).toHaveLength(MAX_IPS_PER_BUCKET);
    expect(new Set(allow?.ips).size).toBe(MAX_IPS_PER_BUCKET);
  });

  it("merges source IPs across flushes as a set", async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 40; i++) r.record(rec({ keyId: key, sourceIp: `10.2.0.${i}` }));
    await r.flush();
    // 20 addresses seen before, then 20 new ones: 60 distinct in the minute.
    for (let i = 20; i < 60; i++) r.record(rec({ keyId: key, sourceIp: `10.2.0.${i}` }));
    await r.flush();
    const [allow] = await authRows({ keyId: key });
    expect(allow?.count).toBe(80);
    expect(allow?.ips).toEqual(Array.from({ length: 60 }, (_, i) => `10.2.0.${i}`).sort());
    // Past the cap the set stops growing, and stays a set.
    for (let i = 60; i < 100; i++) r.record(rec({ keyId: key, sourceIp: `10.2.0.${i}` }));
    await r.flush();
    const [capped] = await authRows({ keyId: key });
    expect(capped?.count).toBe(120);
    expect(capped?.ips).toHaveLength(MAX_IPS_PER_BUCKET);
    expect(new Set(capped?.ips).size).toBe(MAX_IPS_PER_BUCKET);
  });

  it("drops what does not fit in the buffer, counts the drops, and keeps counting existing buckets", async () => {
    const { r, metrics } = recorder(database, 4);
    const keys = [uniqueKeyId(), uniqueKeyId(), uniqueKeyId()];
    // Each key's first allow makes three buckets (usage, endpoint, auth): the first key fills 3 of 4.
    r.record(rec({ keyId: keys[0] as string, companyId: "acme" }));
    // The second key gets its usage bucket (4 of 4); its endpoint and auth buckets are dropped.
    r.record(rec({ keyId: keys[1] as string, companyId: "acme" }));
    // The third key gets nothing at all.
    r.record(rec({ keyId: keys[2] as string, companyId: "acme" }));
    r.record(rec({ outcome: "invalid_key", sourceIp: "192.0.2.9" }));
    // The first key's buckets exist, so its requests still count.
    r.record(rec({ keyId: keys[0] as string, companyId: "acme" }));
    const dropped = (await metrics.trafficDropped.get()).values[0]?.value;
    expect(dropped).toBe(4);
    await r.flush();
    expect(await usageRows(keys[0] as string)).toEqual([
      { company: "acme", minute: M0, requests: 2, denied: 0 },
    ]);
    expect(await usageRows(keys[1] as string)).toEqual([
      { company: "acme", minute: M0, requests: 1, denied: 0 },
    ]);
    expect(await usageRows(keys[2] as string)).toEqual([]);
    expect(await authRows({ sourceIp: "192.0.2.9" })).toEqual([]);
    // After a flush the buffer is empty again.
    r.record(rec({ keyId: keys[2] as string, companyId: "acme" }));
    await r.flush();
    expect(await usageRows(keys[2] as string)).toEqual([
      { company: "acme", minute: M0, requests: 1, denied: 0 },
    ]);
  });
});

describe("TrafficRecorder odd input", () => {
  it("counts methods that agree on their first 16 characters as one endpoint, without failing the flush", async () => {
    const { r, metrics } = recorder();
    const key = uniqueKeyId();
    r.record(rec({ keyId: key, method: "PROPFINDPROPFIND-1", path: "/dav" }));
    r.record(rec({ keyId: key, method: "PROPFINDPROPFIND-2", path: "/dav" }));
    await r.flush();
    expect(await flushCount(metrics, "error")).toBe(0);
    expect(await endpointRows(key)).toEqual({ "PROPFINDPROPFIND /dav": 2 });
  });

  it("writes a path holding NUL (which PostgreSQL text cannot store) instead of failing every flush", async () => {
    const { r, metrics } = recorder();
    const key = uniqueKeyId();
    r.record(rec({ keyId: key, path: "/a\u0000b" }));
    await r.flush();
    expect(await flushCount(metrics, "error")).toBe(0);
    expect(await endpointRows(key)).toEqual({ "GET /ab": 1 });
  });
});

describe("TrafficRecorder failed flushes", () => {
  // A database of its own, to close under a recorder; opened in a hook, which may take the time a second
  // embedded engine needs to start on a loaded machine.
  let other: Database;
  beforeAll(async () => {
    other = await openDatabase();
  });
  it("keeps a batch the database refused, writes none of it, and loses nothing on the next flush", async () => {
    const { r, metrics, logs } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 6; i++)
      r.record(rec({ keyId: key, companyId: "acme", path: "/v1/a", sourceIp: "10.3.0.1" }));
    r.record(rec({ keyId: key, companyId: "acme", outcome: "insufficient_scope", sourceIp: "10.3.0.1" }));
    r.record(rec({ outcome: "invalid_key", sourceIp: "192.0.2.77" }));
    // The auth audit insert fails after key_usage was written in the same transaction.
    await sql`alter table auth_events rename to auth_events_away`.execute(database.db);
    try {
      await r.flush();
    } finally {
      await sql`alter table auth_events_away rename to auth_events`.execute(database.db);
    }
    expect(await flushCount(metrics, "error")).toBe(1);
    expect(logs.some((l) => l.includes("flush failed"))).toBe(true);
    // All or nothing: the usage rows of the failed transaction are not there.
    expect(await usageRows(key)).toEqual([]);
    expect(r.pendingLastUsed(key)).toBe(M0 + 1000);

    // Requests that arrive before the retry join the kept batch.
    for (let i = 0; i < 4; i++)
      r.record(rec({ keyId: key, companyId: "acme", path: "/v1/a", sourceIp: "10.3.0.2" }));
    r.record(rec({ keyId: key, companyId: "acme", path: "/v1/b", sourceIp: "10.3.0.3" }));
    r.record(rec({ outcome: "invalid_key", sourceIp: "192.0.2.77" }));
    await r.flush();
    expect(await flushCount(metrics, "ok")).toBe(1);
    expect(await usageRows(key)).toEqual([{ company: "acme", minute: M0, requests: 11, denied: 1 }]);
    expect(await endpointRows(key)).toEqual({ "GET /v1/a": 10, "GET /v1/b": 1 });
    expect(await authRows({ keyId: key })).toEqual([
      { outcome: "allow", company: "acme", minute: M0, count: 11, ips: ["10.3.0.1", "10.3.0.2", "10.3.0.3"] },
      { outcome: "insufficient_scope", company: "acme", minute: M0, count: 1, ips: ["10.3.0.1"] },
    ]);
    expect((await authRows({ sourceIp: "192.0.2.77" })).map((a) => a.count)).toEqual([2]);
  });

  it("keeps the endpoint cap across a failed flush", async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    for (let i = 0; i < 40; i++) r.record(rec({ keyId: key, path: `/v1/p/${i}` }));
    await sql`alter table key_usage_endpoints rename to key_usage_endpoints_away`.execute(database.db);
    try {
      await r.flush();
    } finally {
      await sql`alter table key_usage_endpoints_away rename to key_usage_endpoints`.execute(database.db);
    }
    for (let i = 40; i < 80; i++) r.record(rec({ keyId: key, path: `/v1/p/${i}` }));
    await r.flush();
    const endpoints = await endpointRows(key);
    expect(Object.keys(endpoints)).toHaveLength(65);
    expect(endpoints["GET (other)"]).toBe(16);
  });

  it("on a closed database: stop() reports the failure without throwing and keeps the counts pending", async () => {
    const { r, metrics, logs } = recorder(other);
    const key = uniqueKeyId();
    r.record(rec({ keyId: key, companyId: "acme", now: M0 + 5000 }));
    await other.close();
    await expect(r.stop()).resolves.toBeUndefined();
    expect(await flushCount(metrics, "error")).toBeGreaterThanOrEqual(1);
    expect(await flushCount(metrics, "ok")).toBe(0);
    expect(logs.some((l) => l.includes("flush failed"))).toBe(true);
    expect(r.pendingLastUsed(key)).toBe(M0 + 5000);
  });
});

describe("TrafficRecorder last use", () => {
  it("writes the newest use to the key and forgets it once written", async () => {
    const hasher = new KeyHasher([makePepper(randomBytes(32))]);
    const { hash, pepperId, hint } = mintSecret(hasher, "sk", "live");
    const row = await new KeyRepository(database.db).insert({
      id: newKeyId(),
      spec: keySpec({ companyId: "acme" }),
      minted: { hash, pepperId, hint },
      now: new Date(M0 - MINUTE),
    });
    const { r } = recorder();
    r.record(rec({ keyId: row.id, companyId: "acme", now: M0 + 3000 }));
    r.record(rec({ keyId: row.id, companyId: "acme", now: M0 + 2000 }));
    // A denial is not a use.
    r.record(rec({ keyId: row.id, companyId: "acme", now: M0 + 9000, outcome: "ip_not_allowed" }));
    expect(r.pendingLastUsed(row.id)).toBe(M0 + 3000);
    await r.flush();
    expect(r.pendingLastUsed(row.id)).toBeUndefined();
    const stored = await database.db
      .selectFrom("keys")
      .select("last_used_time")
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    expect(stored.last_used_time?.getTime()).toBe(M0 + 3000);
    // An older use written later does not move it back.
    r.record(rec({ keyId: row.id, companyId: "acme", now: M0 + 1000 }));
    await r.flush();
    const again = await database.db
      .selectFrom("keys")
      .select("last_used_time")
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    expect(again.last_used_time?.getTime()).toBe(M0 + 3000);
  });

  it("stop() writes what remains", async () => {
    const { r } = recorder();
    const key = uniqueKeyId();
    r.start(60_000);
    for (let i = 0; i < 9; i++) r.record(rec({ keyId: key, companyId: "acme" }));
    await r.stop();
    expect(await usageRows(key)).toEqual([{ company: "acme", minute: M0, requests: 9, denied: 0 }]);
  });
});
