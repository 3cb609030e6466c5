import type { Worker } from "node:worker_threads";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Database } from "../../src/store/database.js";
import { isDatabaseUnavailable } from "../../src/store/db-errors.js";
import { pgliteAssets } from "../../src/store/pglite-assets.js";

/**
 * Embedded PGlite runs each statement synchronously. In its own thread, a long statement (the usage flush,
 * a big audit query) leaves the server's thread free: Checks and timers go on while it runs.
 */
describe("embedded PGlite's own thread", () => {
  let database: Database;
  beforeAll(async () => {
    database = await Database.open({ kind: "pglite", dataDir: null });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("keeps this thread's timers running while a statement runs", async () => {
    const order: string[] = [];
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    try {
      setTimeout(() => order.push("timer"), 0);
      const { rows } = await sql<{ n: string }>`
        select count(*)::text as n from generate_series(1, 3000000) g where g % 7 = 3
      `.execute(database.db);
      order.push("statement");
      expect(rows[0]?.n).toBe("428572");
    } finally {
      clearInterval(ticker);
    }
    // In the same thread, the answer would come before any timer could run, and none could tick meanwhile.
    expect(order).toEqual(["timer", "statement"]);
    expect(ticks).toBeGreaterThan(2);
  });

  it("compiles PGlite's WebAssembly once per process and finds it where the installed PGlite keeps it", async () => {
    const first = await pgliteAssets();
    expect(first?.pgliteWasmModule).toBeDefined();
    expect(first?.initdbWasmModule).toBeDefined();
    expect(await pgliteAssets()).toBe(first);
  });

  it("delivers a channel's notifications to every listener, registered at once, until each stops", async () => {
    const engine = database.embedded;
    if (!engine) throw new Error("not on embedded PGlite");
    const a: string[] = [];
    const b: string[] = [];
    const [stopA, stopB] = await Promise.all([
      engine.listen("test_channel", (p) => a.push(p)),
      engine.listen("test_channel", (p) => b.push(p)),
    ]);
    await sql`select pg_notify('test_channel', 'one')`.execute(database.db);
    await vi.waitFor(() => expect([a, b]).toEqual([["one"], ["one"]]));
    await stopA();
    await sql`select pg_notify('test_channel', 'two')`.execute(database.db);
    await vi.waitFor(() => expect(b).toEqual(["one", "two"]));
    expect(a).toEqual(["one"]);
    await stopB();
  });

  it("hands PostgreSQL's errors over with their SQLSTATE and constraint", async () => {
    await sql`create table pairs (id int primary key)`.execute(database.db);
    await sql`insert into pairs values (1)`.execute(database.db);
    const err = await sql`insert into pairs values (1)`.execute(database.db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: "23505", constraint: "pairs_pkey" });
    expect((err as Error).message).toContain("duplicate key");
  });

  it("passes values of every stored type back as they were", async () => {
    const when = new Date("2026-11-30T12:34:56.789Z");
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const { rows } = await sql<{
      at: Date;
      raw: Uint8Array;
      list: string[];
      doc: { a: number };
      flag: boolean;
    }>`
      select ${when}::timestamptz as at, ${bytes}::bytea as raw, array['x', 'y'] as list,
             '{"a": 1}'::jsonb as doc, true as flag
    `.execute(database.db);
    expect(rows[0]).toEqual({ at: when, raw: bytes, list: ["x", "y"], doc: { a: 1 }, flag: true });
  });

  it("fails every call after the store is closed, as a database that is down, instead of hanging", async () => {
    const other = await Database.open({ kind: "pglite", dataDir: null });
    await other.close();
    const err = await sql`select 1`.execute(other.db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it("fails the calls in flight and every later one when the engine's thread dies", async () => {
    const other = await Database.open({ kind: "pglite", dataDir: null });
    const thread = Reflect.get(other.embedded as object, "worker") as Worker;
    const inFlight = sql`select count(*) from generate_series(1, 5000000)`.execute(other.db).catch((e) => e);
    await thread.terminate();
    expect(isDatabaseUnavailable(await inFlight)).toBe(true);
    expect(isDatabaseUnavailable(await other.ping().catch((e: unknown) => e))).toBe(true);
    await other.close();
  });
});
