import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { killSpawned, runCli, type ServeProcess, startServe } from "../helpers/cli.js";
import { deniedBody, EnvoyClient, okHeaders } from "../helpers/envoy-client.js";
import { eventually } from "../helpers/hot-path.js";
import { createTestDatabase, type TestDatabase } from "../helpers/replicas.js";
import { startTestApp, TEST_DATABASE, type TestApp } from "../helpers/test-app.js";

/**
 * Removing a membership stops a user token for that company as fast as a revocation: the memberships
 * trigger notifies every key of the user on the key change feed. The cache TTL is 10 minutes, so only the
 * notification can explain a cached token being denied. On every database one app runs the flow (admin API
 * and Check on the same app, and a membership deleted straight in the store); on PostgreSQL, two
 * `keyward serve` processes run it across replicas.
 */

/** "allow:<acting company>" or the denial code. */
async function outcome(envoy: EnvoyClient, secret: string, company: string | null): Promise<string> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  if (company !== null) headers["x-keyward-company"] = company;
  const res = await envoy.check({ path: "/v1/candidates", headers });
  return res.status.code === 0
    ? `allow:${okHeaders(res)["x-keyward-company-id"]}`
    : deniedBody(res).error.code;
}

/** Polls until Check answers `expected`, for at most 1 s. */
function answers(envoy: EnvoyClient, secret: string, company: string | null, expected: string) {
  return eventually(async () => (await outcome(envoy, secret, company)) === expected, {
    timeoutMs: 1000,
    what: `Check answering ${expected} for ${company ?? "the default company"}`,
  });
}

/** A user of acme who also belongs to globex, and a token of theirs. */
async function memberWithToken(admin: KeyAdminClient, userId: string): Promise<string> {
  await admin.createUser({ user: { id: userId, name: "replica user", defaultCompanyId: "acme" } });
  await admin.addMembership({ userId, companyId: "globex", scopes: ["*"] });
  const created = await admin.createKey({ kind: "user", userId, scopes: ["candidates:read"] });
  return created.secret;
}

/** Checks the token twice per company so it is cached, and proves it works for both. */
async function warm(envoy: EnvoyClient, secret: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    expect(await outcome(envoy, secret, "globex")).toBe("allow:globex");
    expect(await outcome(envoy, secret, null)).toBe("allow:acme");
  }
}

describe("one app: a removed membership stops a cached user token", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  let clients: AdminClients;
  let admin: KeyAdminClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_CACHE_TTL: "10m" } });
    envoy = new EnvoyClient(t.authzAddress);
    clients = new AdminClients(t.adminUrl);
    admin = clients.client(
      "connect-json-http1",
      (await t.mintKey({ companyId: "keyward", scopes: ["platform:admin"] })).secret,
    );
  });
  afterAll(async () => {
    envoy.close();
    clients.close();
    await t.close();
  });

  it("serves a cached token's memberships while no notification arrives (the control for the tests below)", async () => {
    const secret = await memberWithToken(admin, "single-u0");
    await warm(envoy, secret);
    const db = t.app.ctx.database.db;
    await sql`alter table memberships disable trigger memberships_changed`.execute(db);
    try {
      await db
        .deleteFrom("memberships")
        .where("user_id", "=", "single-u0")
        .where("company_id", "=", "globex")
        .execute();
    } finally {
      await sql`alter table memberships enable trigger memberships_changed`.execute(db);
    }
    for (let i = 0; i < 5; i++) expect(await outcome(envoy, secret, "globex")).toBe("allow:globex");
  });

  it("RemoveMembership through the admin API: denied within 1 s, the default company still allowed", async () => {
    const secret = await memberWithToken(admin, "single-u1");
    await warm(envoy, secret);
    await admin.removeMembership({ userId: "single-u1", companyId: "globex" });
    await answers(envoy, secret, "globex", "company_forbidden");
    expect(await outcome(envoy, secret, null)).toBe("allow:acme");
  });

  it("a membership deleted straight in the store (only the trigger can tell): denied within 1 s", async () => {
    const secret = await memberWithToken(admin, "single-u2");
    await warm(envoy, secret);
    await t.app.ctx.database.db
      .deleteFrom("memberships")
      .where("user_id", "=", "single-u2")
      .where("company_id", "=", "globex")
      .execute();
    await answers(envoy, secret, "globex", "company_forbidden");
    expect(await outcome(envoy, secret, null)).toBe("allow:acme");
  });

  it("a membership added straight in the store: allowed within 1 s", async () => {
    const secret = await memberWithToken(admin, "single-u3");
    await warm(envoy, secret);
    expect(await outcome(envoy, secret, "initech")).toBe("company_forbidden");
    await t.app.ctx.database.db
      .insertInto("memberships")
      .values({ user_id: "single-u3", company_id: "initech", create_time: new Date() })
      .execute();
    await answers(envoy, secret, "initech", "allow:initech");
  });
});

// Two processes need a database both can reach: PostgreSQL only (a PGlite data dir belongs to one process).
if (TEST_DATABASE === "postgres") {
  describe("two keyward serve processes on one PostgreSQL database", () => {
    let db: TestDatabase;
    let a: ServeProcess;
    let b: ServeProcess;
    let clients: AdminClients;
    let adminA: KeyAdminClient;
    let envoyA: EnvoyClient;
    let envoyB: EnvoyClient;

    beforeAll(async () => {
      db = await createTestDatabase("keyward_principals");
      const env = {
        KEYWARD_DATABASE_URL: db.url,
        KEYWARD_PEPPER: randomBytes(32).toString("hex"),
        // Long enough that only invalidation, never expiry, can explain B noticing a change.
        KEYWARD_CACHE_TTL: "10m",
      };
      [a, b] = await Promise.all([startServe(env), startServe(env)]);
      const keygen = await runCli(["keygen", "--company", "keyward", "--platform-admin"], env);
      expect(keygen.code).toBe(0);
      clients = new AdminClients(a.adminUrl);
      adminA = clients.client("connect-json-http1", keygen.stdout.trim());
      envoyA = new EnvoyClient(a.authzAddress);
      envoyB = new EnvoyClient(b.authzAddress);
    }, 90_000);

    afterAll(async () => {
      envoyA?.close();
      envoyB?.close();
      clients?.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await killSpawned();
      await db?.drop();
    });

    it("RemoveMembership through A: B, with the token cached, denies that company within 1 s", async () => {
      const secret = await memberWithToken(adminA, "replica-u1");
      await warm(envoyB, secret);
      await adminA.removeMembership({ userId: "replica-u1", companyId: "globex" });
      await answers(envoyB, secret, "globex", "company_forbidden");
      // Only that company: the default company still works on B, and A agrees.
      expect(await outcome(envoyB, secret, null)).toBe("allow:acme");
      expect(await outcome(envoyA, secret, "globex")).toBe("company_forbidden");
    });

    it("leaving the default company through A: B denies the token without a header within 1 s", async () => {
      const secret = await memberWithToken(adminA, "replica-u2");
      await warm(envoyB, secret);
      await adminA.removeMembership({ userId: "replica-u2", companyId: "acme" });
      await answers(envoyB, secret, null, "company_forbidden");
      expect(await outcome(envoyB, secret, "globex")).toBe("allow:globex");
    });

    it("AddMembership through A: B allows the new company within 1 s", async () => {
      const secret = await memberWithToken(adminA, "replica-u3");
      await warm(envoyB, secret);
      expect(await outcome(envoyB, secret, "initech")).toBe("company_forbidden");
      await adminA.addMembership({ userId: "replica-u3", companyId: "initech", scopes: ["*"] });
      await answers(envoyB, secret, "initech", "allow:initech");
    });

    it("DetachCompany through A: B denies the integration key for that company within 1 s", async () => {
      const created = await adminA.createKey({
        companyId: "keyward",
        kind: "integration",
        companyIds: ["acme", "globex"],
      });
      for (let i = 0; i < 2; i++) {
        expect(await outcome(envoyB, created.secret, "acme")).toBe("allow:acme");
        expect(await outcome(envoyB, created.secret, "globex")).toBe("allow:globex");
      }
      await adminA.detachCompany({ keyId: created.key?.id as string, companyId: "acme" });
      await answers(envoyB, created.secret, "acme", "company_forbidden");
      expect(await outcome(envoyB, created.secret, "globex")).toBe("allow:globex");
    });
  });
}
