import type { ServiceError } from "@grpc/grpc-js";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/database.js";
import { isDatabaseUnavailable } from "../../src/store/db-errors.js";
import { adminCall, killSpawned, runCli, type ServeProcess, startServe } from "../helpers/cli.js";
import { EnvoyClient, healthCheck } from "../helpers/envoy-client.js";
import { keygen, keywardDatabase, metric, outcome, until } from "./support/keyward.js";
import { PgCluster } from "./support/pg-cluster.js";
import { isRunning } from "./support/processes.js";

/**
 * `keyward serve` on a PostgreSQL cluster of the test's own, which is killed (SIGKILL to every process, as a
 * crash) under load and brought back. The server stays up, answers keys it verified before the crash from
 * its cache for KEYWARD_STALE_IF_ERROR, refuses the rest with UNAVAILABLE, says NOT_SERVING, and recovers.
 */
describe("PostgreSQL crashes under keyward serve", () => {
  let cluster: PgCluster;
  let env: Record<string, string>;
  let serve: ServeProcess;
  let envoy: EnvoyClient;
  let admin: string;
  let cached: string;
  let uncached: string;

  beforeAll(async () => {
    cluster = await PgCluster.start();
    env = await keywardDatabase(cluster, "keyward_crash");
    [admin, cached, uncached] = await Promise.all([
      keygen(env, ["--admin"]),
      keygen(env, ["--scopes", "candidates:read"]),
      keygen(env, ["--scopes", "candidates:read"]),
    ]);
    // KEYWARD_LOOKUP_TIMEOUT empty: the production bound (100 ms), which these tests are about.
    serve = await startServe(
      { ...env, KEYWARD_LOOKUP_TIMEOUT: "", KEYWARD_STALE_IF_ERROR: "4s", KEYWARD_DRAIN: "3s" },
      [],
      120_000,
    );
    // Far above the ~100 ms bound: a call that hits this deadline shows the server did not answer in time.
    envoy = new EnvoyClient(serve.authzAddress, 2000);
  }, 180_000);

  afterAll(async () => {
    envoy?.close();
    await killSpawned();
    cluster?.destroy();
  });

  it("serves while the database is up", async () => {
    expect(await outcome(envoy, cached)).toBe("allow");
    expect(await healthCheck(serve.authzAddress, "")).toBe("SERVING");
    expect(await metric(serve.adminUrl, "keyward_database_up")).toBe(1);
  });

  it("fails a call holding a pool client when the server dies, without an unhandled error", async () => {
    const db = await Database.open({ kind: "postgres", url: env.KEYWARD_DATABASE_URL as string });
    let crashed!: () => void;
    const crash = new Promise<void>((resolve) => {
      crashed = resolve;
    });
    let begun!: () => void;
    const inside = new Promise<void>((resolve) => {
      begun = resolve;
    });
    // A transaction holds its pool client across the crash: the client's socket dies while checked out.
    const held = db.db
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        begun();
        await crash;
        await sql`select 1`.execute(trx);
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    await inside;
    // Keep keyward busy too: Checks that need the database and admin calls while it dies.
    const load = Array.from({ length: 20 }, (_, i) =>
      i % 2 ? outcome(envoy, uncached) : adminCall(serve.adminUrl, "ListKeys", {}, admin).catch(() => null),
    );
    await cluster.kill();
    await new Promise((resolve) => setTimeout(resolve, 300));
    crashed();
    expect(isDatabaseUnavailable(await held)).toBe(true);
    await Promise.all(load);
    await Promise.race([db.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
  });

  it("keeps running: a database crash is not a process crash", async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(isRunning(serve.pid)).toBe(true);
    expect((await fetch(`${serve.adminUrl}/healthz`)).status).toBe(200);
  });

  it("answers a key verified before the crash from its cache (stale-if-error)", async () => {
    expect(await outcome(envoy, cached)).toBe("allow");
    expect(await metric(serve.adminUrl, "keyward_key_lookups_total", 'event="stale"')).toBeGreaterThan(0);
  });

  it("answers a key it never verified with UNAVAILABLE, not a client-side deadline", async () => {
    expect(await outcome(envoy, uncached)).toBe("grpc:14");
  });

  it("says NOT_SERVING on the authz listener, and keyward status says so and exits non-zero", async () => {
    await until(() => healthCheck(serve.authzAddress, ""), "NOT_SERVING", 5000);
    expect(await healthCheck(serve.authzAddress, "envoy.service.auth.v3.Authorization")).toBe("NOT_SERVING");
    expect(await metric(serve.adminUrl, "keyward_database_up")).toBe(0);
    const status = await runCli(
      ["status", "--authz-listen", serve.authzListen, "--admin-listen", serve.adminListen],
      {},
    );
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/authz .* NOT_SERVING: Checks cannot be answered/);
  });

  it("answers NOT_FOUND for health of a service the authz listener does not serve", async () => {
    const err = await healthCheck(serve.authzAddress, "keyward.admin.v1.KeyAdminService").then(
      () => null,
      (e: ServiceError) => e,
    );
    expect(err?.code).toBe(5);
  });

  it("answers admin calls with UNAVAILABLE (database unavailable) and /readyz with 503", async () => {
    const res = await adminCall(serve.adminUrl, "ListKeys", {}, admin);
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ code: "unavailable", message: "database unavailable" });
    expect((await fetch(`${serve.adminUrl}/readyz`)).status).toBe(503);
  });

  it("stops answering from the cache once KEYWARD_STALE_IF_ERROR has passed", async () => {
    await until(() => outcome(envoy, cached), "grpc:14", 10_000);
  });

  it("recovers when the database is back: SERVING, uncached keys, admin calls", async () => {
    await cluster.up();
    await until(() => healthCheck(serve.authzAddress, ""), "SERVING", 15_000);
    await until(() => outcome(envoy, uncached), "allow", 3000);
    expect((await adminCall(serve.adminUrl, "ListKeys", {}, admin)).status).toBe(200);
    expect((await fetch(`${serve.adminUrl}/readyz`)).status).toBe(200);
    expect(isRunning(serve.pid)).toBe(true);
  });

  it("on SIGTERM says NOT_SERVING first, keeps answering Checks for the drain, then exits 0", async () => {
    const exited = serve.stop("SIGTERM");
    await until(() => healthCheck(serve.authzAddress, ""), "NOT_SERVING", 1500);
    // Still answering (a lookup on a just-restarted database may miss the 100 ms bound once under load).
    await until(() => outcome(envoy, cached), "allow", 2000);
    expect(await exited).toBe(0);
    const messages = serve.logs.map((l) => l.msg);
    expect(messages.indexOf("stopped")).toBeGreaterThan(messages.indexOf("shutting down"));
  });
});
