import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, invalidFields, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { deniedBody, EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

let t: TestApp;
let clients: AdminClients;
let envoy: EnvoyClient;

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  envoy = new EnvoyClient(t.authzAddress);
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

/** What Check answers for `secret`: "allow" or the denial code. */
async function check(secret: string): Promise<string> {
  const res = await envoy.check({ headers: { authorization: `Bearer ${secret}` } });
  return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
}

const mint = (companyId: string, scopes: string[] = []) => t.mintKey({ companyId, scopes });

describe("RevokeAllKeys", () => {
  let acmeAdmin: KeyAdminClient;
  let acmeAdminSecret: string;

  beforeAll(async () => {
    acmeAdminSecret = (await mint("acme", ["keys:admin"])).secret;
    acmeAdmin = clients.client("connect-json-http1", acmeAdminSecret);
  });

  it("needs a reason, and a company admin may not reach another company", async () => {
    const other = await mint("globex");
    expect(await invalidFields(acmeAdmin.revokeAllKeys({ companyId: "acme", reason: " " }))).toEqual([
      "reason",
    ]);
    const err = await rpcError(acmeAdmin.revokeAllKeys({ companyId: "globex", reason: "leak" }));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(await check(other.secret)).toBe("allow");
    expect(await check(acmeAdminSecret)).toBe("allow");
  });

  it("revokes exactly the company's keys, with an audit event per key, and Check refuses them at once", async () => {
    const acme = [await mint("acme"), await mint("acme"), await mint("acme")];
    const globex = await mint("globex");
    const platform = clients.client("connect-json-http1", (await mint("ops", ["platform:admin"])).secret);
    // Warm the cache: a revoked key must be evicted, not merely missed.
    for (const k of acme) expect(await check(k.secret)).toBe("allow");

    const res = await acmeAdmin.revokeAllKeys({ reason: "laptop stolen" });
    // Its own admin key too: the reset is total.
    expect(res.revokedCount).toBe(4n);
    for (const k of acme) expect(await check(k.secret)).toBe("revoked_key");
    expect(await check(acmeAdminSecret)).toBe("revoked_key");
    expect(await check(globex.secret)).toBe("allow");

    const { events } = await platform.listAuditEvents({ companyId: "acme", action: "key.revoke" });
    const revokedIds = events.map((e) => e.keyId);
    for (const k of acme) expect(revokedIds).toContain(k.id);
    expect(events.every((e) => e.reason === "laptop stolen")).toBe(true);

    const key = await platform.getKey({ keyId: acme[0]?.id ?? "" });
    expect(key.revokeReason).toBe("laptop stolen");
    // Repeats find nothing left to revoke.
    expect((await platform.revokeAllKeys({ companyId: "acme", reason: "again" })).revokedCount).toBe(0n);
  });

  it("a platform admin without a company revokes every key there is", async () => {
    const keys = [await mint("initech"), await mint("umbrella")];
    const platformSecret = (await mint("ops", ["platform:admin"])).secret;
    const platform = clients.client("grpc-h2c", platformSecret);
    const res = await platform.revokeAllKeys({ reason: "pepper leaked" });
    expect(res.revokedCount).toBeGreaterThanOrEqual(3n);
    for (const k of keys) expect(await check(k.secret)).toBe("revoked_key");
    expect(await check(platformSecret)).toBe("revoked_key");
  });
});
