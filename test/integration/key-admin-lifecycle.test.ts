import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { deniedBody, EnvoyClient, type EnvoyRequest, okHeaders } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The app's clock: real time plus however far a test has moved it on. */
let offsetMs = 0;
const now = () => Date.now() + offsetMs;

let t: TestApp;
let clients: AdminClients;
let admin: KeyAdminClient;
let envoy: EnvoyClient;
const company = "lifecycle-co";

beforeAll(async () => {
  t = await startTestApp({ now });
  clients = new AdminClients(t.adminUrl);
  admin = clients.client(
    "grpc-h2c",
    (await t.mintKey({ companyId: company, scopes: ["keys:admin"] })).secret,
  );
  envoy = new EnvoyClient(t.authzAddress);
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

/** "allow", or the denial code Check answered for `secret`. */
async function check(secret: string, extra: Omit<EnvoyRequest, "headers"> = {}): Promise<string> {
  const res = await envoy.check({ ...extra, headers: { authorization: `Bearer ${secret}` } });
  if (res.status.code === 0) return "allow";
  return deniedBody(res).error.code;
}

const create = async (init: Record<string, unknown> = {}) => {
  const { key, secret } = await admin.createKey({ scopes: ["orders:read"], ...init });
  if (!key) throw new Error("CreateKey returned no key");
  return { id: key.id, secret };
};

describe("key lifecycle as Check sees it", () => {
  it("a suspended key is denied as suspended_key, and works again once resumed", async () => {
    const key = await create();
    expect(await check(key.secret)).toBe("allow");
    await admin.suspendKey({ keyId: key.id, reason: "investigating" });
    expect(await check(key.secret)).toBe("suspended_key");
    const res = await envoy.check({ headers: { authorization: `Bearer ${key.secret}` } });
    expect(res.status.code).toBe(16);
    await admin.resumeKey({ keyId: key.id });
    expect(await check(key.secret)).toBe("allow");
  });

  it("a revoked key never works again", async () => {
    const key = await create();
    expect(await check(key.secret)).toBe("allow");
    await admin.revokeKey({ keyId: key.id, reason: "leaked" });
    expect(await check(key.secret)).toBe("revoked_key");
    expect((await rpcError(admin.resumeKey({ keyId: key.id }))).code).toBe(Code.FailedPrecondition);
    const update = admin.updateKey({ key: { id: key.id }, updateMask: { paths: ["expire_time"] } });
    expect((await rpcError(update)).code).toBe(Code.FailedPrecondition);
    expect((await rpcError(admin.rotateKey({ keyId: key.id }))).code).toBe(Code.FailedPrecondition);
    offsetMs += 400 * 24 * HOUR_MS;
    expect(await check(key.secret)).toBe("revoked_key");
  });

  it("after rotation both keys work during the default grace period, and only the new one after it", async () => {
    const old = await create();
    expect(await check(old.secret)).toBe("allow");
    const rotated = await admin.rotateKey({ keyId: old.id });
    const fresh = rotated.secret;
    expect(await check(old.secret)).toBe("allow");
    expect(await check(fresh)).toBe("allow");
    offsetMs += 23 * HOUR_MS;
    expect(await check(old.secret)).toBe("allow");
    expect(await check(fresh)).toBe("allow");
    offsetMs += HOUR_MS + 5000;
    expect(await check(old.secret)).toBe("expired_key");
    expect(await check(fresh)).toBe("allow");
    const res = await envoy.check({ headers: { authorization: `Bearer ${fresh}` } });
    expect(okHeaders(res)["x-keyward-key-id"]).toBe(rotated.key?.id);
  });

  it("an explicit grace period is honoured to the minute", async () => {
    const old = await create();
    const { secret: fresh } = await admin.rotateKey({ keyId: old.id, gracePeriod: { seconds: 600n } });
    offsetMs += 9 * MINUTE_MS;
    expect(await check(old.secret)).toBe("allow");
    offsetMs += 2 * MINUTE_MS;
    expect(await check(old.secret)).toBe("expired_key");
    expect(await check(fresh)).toBe("allow");
  });

  it("a zero grace period cuts the old key off at once", async () => {
    const old = await create();
    expect(await check(old.secret)).toBe("allow");
    const { secret: fresh } = await admin.rotateKey({ keyId: old.id, gracePeriod: { seconds: 0n } });
    expect(await check(old.secret)).toBe("revoked_key");
    expect(await check(fresh)).toBe("allow");
  });

  it("the new key keeps the old one's scopes and allowlist", async () => {
    const old = await create({ scopes: ["orders:read", "orders:write"], ipAllowlist: ["203.0.113.0/24"] });
    const { secret: fresh } = await admin.rotateKey({ keyId: old.id, gracePeriod: { seconds: 0n } });
    expect(await check(fresh, { contextExtensions: { scopes: "orders:write" } })).toBe("allow");
    expect(await check(fresh, { contextExtensions: { scopes: "orders:delete" } })).toBe("insufficient_scope");
    expect(await check(fresh, { sourceIp: "198.51.100.1" })).toBe("ip_not_allowed");
  });

  it("a scope update applies to the next Check", async () => {
    const key = await create({ scopes: ["orders:read"] });
    const needsWrite = { contextExtensions: { scopes: "orders:write" } };
    expect(await check(key.secret, needsWrite)).toBe("insufficient_scope");
    await admin.updateKey({
      key: { id: key.id, scopes: ["orders:read", "orders:write"] },
      updateMask: { paths: ["scopes"] },
    });
    expect(await check(key.secret, needsWrite)).toBe("allow");
    const res = await envoy.check({ headers: { authorization: `Bearer ${key.secret}` } });
    expect(okHeaders(res)["x-keyward-scopes"]).toBe("orders:read orders:write");
    await admin.updateKey({
      key: { id: key.id, scopes: ["orders:read"] },
      updateMask: { paths: ["scopes"] },
    });
    expect(await check(key.secret, needsWrite)).toBe("insufficient_scope");
  });

  it("an ip_allowlist update applies to the next Check", async () => {
    const key = await create();
    const from = { sourceIp: "203.0.113.7" };
    expect(await check(key.secret, from)).toBe("allow");
    const setList = (ipAllowlist: string[]) =>
      admin.updateKey({ key: { id: key.id, ipAllowlist }, updateMask: { paths: ["ip_allowlist"] } });
    await setList(["198.51.100.0/24"]);
    expect(await check(key.secret, from)).toBe("ip_not_allowed");
    await setList(["198.51.100.0/24", "203.0.113.0/24"]);
    expect(await check(key.secret, from)).toBe("allow");
    expect(await check(key.secret, { sourceIp: "192.0.2.1" })).toBe("ip_not_allowed");
    await setList([]);
    expect(await check(key.secret, { sourceIp: "192.0.2.1" })).toBe("allow");
  });

  it("an expire_time update applies, and clearing it revives an expired key", async () => {
    const key = await create();
    await admin.updateKey({
      key: { id: key.id, expireTime: timestampFromMs(now() + HOUR_MS) },
      updateMask: { paths: ["expire_time"] },
    });
    expect(await check(key.secret)).toBe("allow");
    offsetMs += HOUR_MS + 1000;
    expect(await check(key.secret)).toBe("expired_key");
    await admin.updateKey({ key: { id: key.id }, updateMask: { paths: ["expire_time"] } });
    expect(await check(key.secret)).toBe("allow");
  });

  it("a key created with a ttl expires on the app's clock", async () => {
    const key = await create({ ttl: { seconds: 120n } });
    expect(await check(key.secret)).toBe("allow");
    offsetMs += 121_000;
    expect(await check(key.secret)).toBe("expired_key");
  });

  it("an admin key suspended by a platform admin stops administering at once", async () => {
    const root = clients.client(
      "connect-json-http1",
      (await t.mintKey({ companyId: "root", scopes: ["platform:admin"] })).secret,
    );
    const second = await root.createKey({ companyId: company, scopes: ["keys:admin"] });
    const client = clients.client("grpc-web-http1", second.secret);
    await client.listKeys({});
    await root.suspendKey({ keyId: second.key?.id ?? "" });
    expect((await rpcError(client.listKeys({}))).code).toBe(Code.Unauthenticated);
    expect(await check(second.secret)).toBe("suspended_key");
  });
});
