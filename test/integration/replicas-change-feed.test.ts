import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { createdKeyId, killSpawned, runCli, type ServeProcess, startServe } from "../helpers/cli.js";
import { deniedBody, EnvoyClient, type EnvoyRequest } from "../helpers/envoy-client.js";
import { eventually, metricValue } from "../helpers/hot-path.js";
import { createTestDatabase, localTcpPorts, type TestDatabase } from "../helpers/replicas.js";
import { startTestApp, TEST_DATABASE, type TestApp } from "../helpers/test-app.js";

/**
 * Cached keys follow changes made elsewhere. On every database, one app sees changes written straight to its
 * store (bypassing its own invalidation) through the change feed: PGlite's in-process LISTEN, or PostgreSQL's.
 * On PostgreSQL, two `keyward serve` processes share a database: changes made through A's admin API reach
 * B's cache within a second, also across a dropped LISTEN connection.
 */

/** What one Check answered: "allow" or the denial code. */
async function outcome(envoy: EnvoyClient, secret: string, extra: EnvoyRequest = {}): Promise<string> {
  const res = await envoy.check({
    path: "/v1/candidates",
    headers: { authorization: `Bearer ${secret}` },
    ...extra,
  });
  return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
}

/** Polls Check until it answers `expected`, for at most `timeoutMs`. */
function answers(
  envoy: EnvoyClient,
  secret: string,
  expected: string,
  extra: EnvoyRequest = {},
  timeoutMs = 1000,
) {
  return eventually(async () => (await outcome(envoy, secret, extra)) === expected, {
    timeoutMs,
    what: `Check answering ${expected}`,
  });
}

const SCOPED: EnvoyRequest = { contextExtensions: { scopes: "candidates:read" } };

describe("change feed in one app (direct writes to the store)", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_CACHE_TTL: "10m" } });
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  /** Changes a key row behind the app's back: only the trigger and the change feed can tell the cache. */
  async function writeDirectly(id: string, set: Record<string, unknown>): Promise<void> {
    await t.app.ctx.database.db
      .updateTable("keys")
      .set(set as never)
      .where("id", "=", id)
      .execute();
  }

  it("serves a key from its cache while no notification arrives (the control for the tests below)", async () => {
    const { secret, id } = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    expect(await outcome(envoy, secret)).toBe("allow");
    await sql`alter table keys disable trigger keys_changed`.execute(t.app.ctx.database.db);
    try {
      await writeDirectly(id, { status: "revoked" });
    } finally {
      await sql`alter table keys enable trigger keys_changed`.execute(t.app.ctx.database.db);
    }
    // Without the notification the cached key is what answers (until its 10-minute TTL).
    for (let i = 0; i < 5; i++) expect(await outcome(envoy, secret)).toBe("allow");
  });

  it("evicts a key revoked straight in the database within 1 s", async () => {
    const { secret, id } = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    expect(await outcome(envoy, secret)).toBe("allow");
    await writeDirectly(id, { status: "revoked", revoke_time: new Date() });
    await answers(envoy, secret, "revoked_key");
  });

  it("follows a scope change and an allowlist change written straight in the database", async () => {
    const { secret, id } = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    expect(await outcome(envoy, secret, SCOPED)).toBe("allow");
    await writeDirectly(id, { scopes: ["jobs:read"] });
    await answers(envoy, secret, "insufficient_scope", SCOPED);
    await writeDirectly(id, { scopes: ["candidates:read"], ip_allowlist: ["198.51.100.0/24"] });
    await answers(envoy, secret, "ip_not_allowed", SCOPED);
    expect(await outcome(envoy, secret, { ...SCOPED, sourceIp: "198.51.100.20" })).toBe("allow");
  });

  it("lets a key work again once it is resumed straight in the database", async () => {
    const { secret, id } = await t.mintKey({ companyId: "acme" });
    await writeDirectly(id, { status: "suspended" });
    await answers(envoy, secret, "suspended_key");
    await writeDirectly(id, { status: "active" });
    await answers(envoy, secret, "allow");
  });

  it("reports the feed as connected", async () => {
    expect(await metricValue(t.adminUrl, "keyward_change_feed_connected")).toBe(1);
  });
});

// Two processes need a database both can reach: PostgreSQL only (a PGlite data dir belongs to one process).
if (TEST_DATABASE === "postgres") {
  describe("two keyward serve processes on one PostgreSQL database", () => {
    let db: TestDatabase;
    let a: ServeProcess;
    let b: ServeProcess;
    let env: Record<string, string>;
    let clients: AdminClients;
    let adminA: KeyAdminClient;
    let envoyB: EnvoyClient;

    beforeAll(async () => {
      db = await createTestDatabase("keyward_rep");
      env = {
        KEYWARD_DATABASE_URL: db.url,
        KEYWARD_PEPPER: randomBytes(32).toString("hex"),
        // Long enough that only invalidation, never expiry, can explain B noticing a change.
        KEYWARD_CACHE_TTL: "10m",
      };
      // Both start at once, so they also race to migrate the fresh database.
      [a, b] = await Promise.all([startServe(env), startServe(env)]);
      const keygen = await runCli(["keygen", "--company", "acme", "--admin"], env);
      expect(keygen.code).toBe(0);
      clients = new AdminClients(a.adminUrl);
      adminA = clients.client("connect-json-http1", keygen.stdout.trim());
      envoyB = new EnvoyClient(b.authzAddress);
    }, 90_000);

    afterAll(async () => {
      envoyB?.close();
      clients?.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await killSpawned();
      await db?.drop();
    });

    /** A new key made through A's admin API, already checked (and so cached) on B. */
    async function warmKey(scopes = ["candidates:read"]): Promise<{ id: string; secret: string }> {
      const created = await adminA.createKey({ companyId: "acme", name: "replica test", scopes });
      const key = { id: created.key?.id as string, secret: created.secret };
      expect(await outcome(envoyB, key.secret, SCOPED)).toBe("allow");
      expect(await outcome(envoyB, key.secret, SCOPED)).toBe("allow");
      return key;
    }

    /** Process B's change-feed backend ids, found by the client ports B's own sockets hold. */
    async function feedBackendsOfB(): Promise<number[]> {
      const rows = await db.query<{ pid: number }>(
        `select pid from pg_stat_activity
          where application_name = 'keyward-change-feed' and datname = current_database()
            and client_port = any($1::int[])`,
        [localTcpPorts(b.pid)],
      );
      return rows.map((r) => r.pid);
    }

    it("mints with keygen straight into the shared database, and B knows the key at once", async () => {
      const made = await runCli(["keygen", "--company", "acme", "--scopes", "candidates:read"], env);
      expect(made.code).toBe(0);
      const rows = await db.query("select id from keys where id = $1", [createdKeyId(made.stderr)]);
      expect(rows).toHaveLength(1);
      expect(await outcome(envoyB, made.stdout.trim(), SCOPED)).toBe("allow");
    });

    it("revoke through A: B denies within 1 s", async () => {
      const key = await warmKey();
      await adminA.revokeKey({ keyId: key.id, reason: "replica test" });
      await answers(envoyB, key.secret, "revoked_key", SCOPED);
    });

    it("suspend through A: B denies within 1 s; resume: B allows again within 1 s", async () => {
      const key = await warmKey();
      await adminA.suspendKey({ keyId: key.id, reason: "replica test" });
      await answers(envoyB, key.secret, "suspended_key", SCOPED);
      await adminA.resumeKey({ keyId: key.id });
      await answers(envoyB, key.secret, "allow", SCOPED);
    });

    it("scope change through A: B enforces the new scopes within 1 s", async () => {
      const key = await warmKey();
      await adminA.updateKey({
        key: { id: key.id, scopes: ["jobs:read"] },
        updateMask: { paths: ["scopes"] },
      });
      await answers(envoyB, key.secret, "insufficient_scope", SCOPED);
      expect(await outcome(envoyB, key.secret, { contextExtensions: { scopes: "jobs:read" } })).toBe("allow");
    });

    it("ip_allowlist change through A: B enforces it within 1 s", async () => {
      const key = await warmKey();
      await adminA.updateKey({
        key: { id: key.id, ipAllowlist: ["198.51.100.0/24"] },
        updateMask: { paths: ["ip_allowlist"] },
      });
      await answers(envoyB, key.secret, "ip_not_allowed", SCOPED);
      expect(await outcome(envoyB, key.secret, { ...SCOPED, sourceIp: "198.51.100.9" })).toBe("allow");
    });

    it("a dropped LISTEN connection: B never serves the revoked key from its cache, and the feed comes back", async () => {
      const key = await warmKey();
      const before = await feedBackendsOfB();
      expect(before).toHaveLength(1);
      const terminated = await db.query<{ ok: boolean }>("select pg_terminate_backend($1) as ok", [
        before[0],
      ]);
      expect(terminated[0]?.ok).toBe(true);
      await adminA.revokeKey({ keyId: key.id, reason: "revoked while B's feed was down" });

      await answers(envoyB, key.secret, "revoked_key", SCOPED);
      // Once denied, always denied: through B's reconnect and its cache coming back.
      const until = Date.now() + 1500;
      const seen = new Set<string>();
      while (Date.now() < until) seen.add(await outcome(envoyB, key.secret, SCOPED));
      expect([...seen]).toEqual(["revoked_key"]);

      await eventually(async () => (await metricValue(b.adminUrl, "keyward_change_feed_connected")) === 1, {
        timeoutMs: 5000,
        what: "B's change feed reconnecting",
      });
      const after = await feedBackendsOfB();
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before[0]);
      expect(b.logs.some((l) => l.msg === "key change feed lost; reconnecting")).toBe(true);
    });

    it("after the reconnect, B hears of changes again (LISTEN was re-issued)", async () => {
      await eventually(async () => (await metricValue(b.adminUrl, "keyward_change_feed_connected")) === 1, {
        timeoutMs: 5000,
      });
      const key = await warmKey();
      await adminA.revokeKey({ keyId: key.id, reason: "after reconnect" });
      await answers(envoyB, key.secret, "revoked_key", SCOPED);
    });

    it("A's own feed was never touched", async () => {
      expect(await metricValue(a.adminUrl, "keyward_change_feed_connected")).toBe(1);
      expect(a.logs.some((l) => l.msg === "key change feed lost; reconnecting")).toBe(false);
    });
  });
}
