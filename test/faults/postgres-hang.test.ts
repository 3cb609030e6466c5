import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, killSpawned, type ServeProcess, startServe } from "../helpers/cli.js";
import { EnvoyClient, healthCheck } from "../helpers/envoy-client.js";
import { keygen, keygenWithId, keywardDatabase, metric, outcome, until } from "./support/keyward.js";
import { PgCluster } from "./support/pg-cluster.js";
import { signalAll } from "./support/processes.js";

/**
 * `keyward serve` on a PostgreSQL cluster of the test's own that hangs rather than dies (SIGSTOP: connections
 * stay up, nothing answers): first only the backend of the change feed's LISTEN connection, then the whole
 * cluster. Every wait is bounded: the feed's heartbeat notices the silent connection, Checks and probes get
 * their answer, and SIGTERM ends the process even though the last flush can never be written.
 */
describe("PostgreSQL hangs under keyward serve", () => {
  let cluster: PgCluster;
  let env: Record<string, string>;
  let serve: ServeProcess;
  let envoy: EnvoyClient;
  let admin: string;
  let cached: string;
  let uncached: string;
  let victim: { secret: string; id: string };
  let frozenBackend: number | undefined;

  beforeAll(async () => {
    cluster = await PgCluster.start();
    env = await keywardDatabase(cluster, "keyward_hang");
    [admin, cached, uncached, victim] = await Promise.all([
      keygen(env, ["--admin"]),
      keygen(env, ["--scopes", "candidates:read"]),
      keygen(env, ["--scopes", "candidates:read"]),
      keygenWithId(env, ["--scopes", "candidates:read"]),
    ]);
    // KEYWARD_LOOKUP_TIMEOUT empty: the production bound (100 ms), which these tests are about.
    serve = await startServe({ ...env, KEYWARD_LOOKUP_TIMEOUT: "", KEYWARD_DRAIN: "1s" }, [], 120_000);
    // Far above the ~100 ms bound: a call that hits this deadline shows the server did not answer in time.
    envoy = new EnvoyClient(serve.authzAddress, 2000);
  }, 180_000);

  afterAll(async () => {
    envoy?.close();
    if (frozenBackend) signalAll([frozenBackend], "SIGCONT");
    await killSpawned();
    cluster?.destroy();
  });

  it("notices a LISTEN connection that went silent, so a revocation is not missed for the cache TTL", async () => {
    expect(await outcome(envoy, victim.secret)).toBe("allow");
    expect(await metric(serve.adminUrl, "keyward_change_feed_connected")).toBe(1);
    // TCP up, nothing delivered: the backend serving the feed's LISTEN is frozen.
    frozenBackend = await cluster.freezeBackend("keyward-change-feed");
    // Revoked behind Keyward's back: the NOTIFY goes to the frozen backend and is never delivered.
    await cluster.query(
      "update keys set status = 'revoked', revoke_time = now() where id = $1",
      [victim.id],
      "keyward_hang",
    );
    // Without a heartbeat the cached key would be allowed until KEYWARD_CACHE_TTL (30 s) ran out.
    await until(() => outcome(envoy, victim.secret), "revoked_key", 8000);
    await until(() => metric(serve.adminUrl, "keyward_change_feed_connected"), 1, 8000);
    signalAll([frozenBackend], "SIGCONT");
    frozenBackend = undefined;
  });

  it("answers an uncached key with UNAVAILABLE when the database hangs, well inside the client's deadline", async () => {
    // Cached while the (new) feed connection is trusted, for the stale-if-error check below.
    await until(() => outcome(envoy, cached), "allow", 3000);
    cluster.freeze();
    expect(await outcome(envoy, uncached)).toBe("grpc:14");
  });

  it("says NOT_SERVING, answers /readyz 503 and admin calls UNAVAILABLE, all without hanging", async () => {
    await until(() => healthCheck(serve.authzAddress, ""), "NOT_SERVING", 5000);
    const ready = await fetch(`${serve.adminUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
    expect(ready.status).toBe(503);
    const res = await adminCall(serve.adminUrl, "ListKeys", {}, admin);
    expect(res.json).toEqual({ code: "unavailable", message: "database unavailable" });
  });

  it("answers a key verified before the hang from its cache (stale-if-error)", async () => {
    expect(await outcome(envoy, cached)).toBe("allow");
  });

  it("exits after SIGTERM although the last flush can never be written, and logs the loss", async () => {
    const exited = serve.stop("SIGTERM");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(r, 15_000, "hung"))]);
    expect(code).not.toBe("hung");
    const messages = serve.logs.map((l) => String(l.msg));
    expect(messages).toContain("shutting down");
    const lost = messages.filter(
      (m) => m.startsWith("shutdown did not finish in time") || m.startsWith("usage and audit flush failed"),
    );
    expect(lost.length).toBeGreaterThan(0);
  });
});
