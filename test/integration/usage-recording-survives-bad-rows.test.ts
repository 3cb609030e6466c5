import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { Metrics } from "../../src/metrics.js";
import { Database } from "../../src/store/database.js";
import { TrafficRepository } from "../../src/store/traffic-repository.js";
import {
  MAX_KEYLESS_SOURCES,
  type TrafficRecord,
  TrafficRecorder,
} from "../../src/usage/traffic-recorder.js";
import { dropSchema, freshSchema, TEST_DATABASE, TEST_DATABASE_URL } from "../helpers/test-app.js";
import { readTraffic } from "../helpers/traffic-tables.js";

/**
 * No request can stop usage and auth-audit recording: what a caller controls is bucketed on what the table
 * will hold, and a row the database refuses on its own is dropped and counted while the rest is written. On
 * PGlite, or PostgreSQL with KEYWARD_TEST_DATABASE=postgres.
 */

const M0 = Date.UTC(2030, 0, 1, 12, 0, 0);
let database: Database;
const schema = TEST_DATABASE === "postgres" ? freshSchema() : undefined;

beforeAll(async () => {
  database = await Database.open(
    schema ? { kind: "postgres", url: TEST_DATABASE_URL, schema } : { kind: "pglite", dataDir: null },
  );
  await database.migrate();
});
afterAll(async () => {
  await database.close();
  if (schema) await dropSchema(schema);
});

function recorder() {
  const metrics = new Metrics();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const r = new TrafficRecorder({
    sink: new TrafficRepository(database),
    metrics,
    logger: createLogger("info", sink),
  });
  return { r, metrics, logs };
}

function rec(overrides: Partial<TrafficRecord>): TrafficRecord {
  return {
    outcome: "allow",
    keyId: "key_bad_rows",
    companyId: "acme",
    method: "GET",
    path: "/",
    sourceIp: "203.0.113.1",
    now: M0 + 1000,
    ...overrides,
  };
}

async function counter(
  c: { get(): Promise<{ values: { value: number; labels: object }[] }> },
  label?: string,
) {
  const { values } = await c.get();
  return values
    .filter((v) => label === undefined || (v.labels as { result?: string }).result === label)
    .reduce((n, v) => n + v.value, 0);
}

describe("buckets are what the table holds", () => {
  it("two paths that differ only where a cut would split an emoji are two rows, and both are written", async () => {
    const { r, metrics } = recorder();
    const stem = `/${"a".repeat(254)}`;
    // 257 units: a cut at 256 would leave half of the emoji, which UTF-8 stores as U+FFFD.
    r.record(rec({ keyId: "key_emoji", path: `${stem}😀` }));
    r.record(rec({ keyId: "key_emoji", path: `${stem}\uFFFD` }));
    await r.flush();
    r.record(rec({ keyId: "key_emoji", path: "/later" }));
    await r.flush();
    expect(await counter(metrics.trafficFlushes, "error")).toBe(0);
    const { endpoints } = await readTraffic(database);
    expect(endpoints[`key_emoji GET ${stem}`]).toBe(1);
    expect(endpoints[`key_emoji GET ${stem}\uFFFD`]).toBe(1);
    expect(endpoints["key_emoji GET /later"]).toBe(1);
  });

  it("a keyless source holding NUL or a huge zone id is stored bounded and clean", async () => {
    const { r, metrics } = recorder();
    r.record(rec({ keyId: null, outcome: "invalid_key", sourceKey: "192.0.2.9\u0000" }));
    r.record(rec({ keyId: null, outcome: "invalid_key", sourceKey: `fe80::1%${"z".repeat(3000)}` }));
    r.record(rec({ keyId: "key_after_nul", path: "/ok" }));
    await r.flush();
    expect(await counter(metrics.trafficFlushes, "error")).toBe(0);
    const { bySourceIp, endpoints } = await readTraffic(database);
    expect(bySourceIp["192.0.2.9 invalid_key"]).toBe(1);
    const zoned = Object.keys(bySourceIp).filter((k) => k.startsWith("fe80::1%"));
    expect(zoned.map((k) => k.length)).toEqual([64 + " invalid_key".length]);
    expect(endpoints["key_after_nul GET /ok"]).toBe(1);
  });

  it("caps the distinct keyless sources of a minute, the rest under (other)", async () => {
    const { r } = recorder();
    const now = M0 + 7 * 60_000;
    for (let i = 0; i < MAX_KEYLESS_SOURCES + 50; i++) {
      r.record(rec({ keyId: null, outcome: "missing_key", sourceKey: `10.9.${i >> 8}.${i & 255}`, now }));
    }
    await r.flush();
    const rows = await database.db
      .selectFrom("auth_events")
      .select(["source_ip", "count"])
      .where("minute", "=", new Date(now))
      .execute();
    expect(rows).toHaveLength(MAX_KEYLESS_SOURCES + 1);
    expect(Number(rows.find((x) => x.source_ip === "(other)")?.count)).toBe(50);
  });
});

describe("a row the database refuses", () => {
  it("is dropped and counted once the batch fails again; everything else is written, and later flushes work", async () => {
    const { r, metrics, logs } = recorder();
    // A row that can never be written: the database refuses it whatever else is in the batch.
    await sql`alter table auth_events add constraint no_poison check (outcome <> 'poison')`.execute(
      database.db,
    );
    try {
      r.record(rec({ keyId: "key_poisoned", outcome: "poison" }));
      for (let i = 0; i < 5; i++) r.record(rec({ keyId: `key_good_${i}`, path: `/good/${i}` }));
      await r.flush();
      // Once: kept whole, nothing written.
      expect((await readTraffic(database)).endpoints["key_good_0 GET /good/0"]).toBeUndefined();
      r.record(rec({ keyId: "key_good_5", path: "/good/5" }));
      await r.flush();
      const { endpoints, byKey } = await readTraffic(database);
      for (let i = 0; i < 6; i++) expect(endpoints[`key_good_${i} GET /good/${i}`], `key_good_${i}`).toBe(1);
      expect(byKey["key_poisoned acme poison"]).toBeUndefined();
      expect(await counter(metrics.trafficRowsDropped)).toBe(1);
      expect(logs.filter((l) => l.includes("rows the database refuses were dropped"))).toHaveLength(1);
      r.record(rec({ keyId: "key_good_6", path: "/good/6" }));
      r.record(rec({ keyId: "key_poisoned", outcome: "poison" }));
      await r.flush();
      await r.flush();
      expect((await readTraffic(database)).endpoints["key_good_6 GET /good/6"]).toBe(1);
      expect(await counter(metrics.trafficRowsDropped)).toBe(2);
      // One warning a minute at most, however many rows are dropped.
      expect(logs.filter((l) => l.includes("rows the database refuses were dropped"))).toHaveLength(1);
    } finally {
      await sql`alter table auth_events drop constraint no_poison`.execute(database.db);
    }
  });
});
