import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * An integration key is what a platform admin granted to listed companies. The admins of the company that
 * owns it may not widen it, and the companies it lists do not learn about each other through it.
 */

let t: TestApp;
let clients: AdminClients;
let platform: KeyAdminClient;
/** Admins of the owning company ("vendor") and of two listed customers. */
let vendor: KeyAdminClient;
let acme: KeyAdminClient;
let globex: KeyAdminClient;
let keyId: string;

async function adminOf(companyId: string): Promise<KeyAdminClient> {
  const { secret } = await t.mintKey({ companyId, scopes: ["keys:admin"] });
  return clients.client("connect-json-http1", secret);
}

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  platform = clients.client(
    "connect-json-http1",
    (await t.mintKey({ companyId: "keyward", scopes: ["platform:admin"] })).secret,
  );
  [vendor, acme, globex] = (await Promise.all(["vendor", "acme", "globex"].map(adminOf))) as [
    KeyAdminClient,
    KeyAdminClient,
    KeyAdminClient,
  ];
  const created = await platform.createKey({
    companyId: "vendor",
    kind: "integration",
    companyIds: ["acme", "globex"],
    scopes: ["candidates:read"],
    ipAllowlist: ["203.0.113.0/24"],
    ttl: { seconds: 86_400n },
    rateLimit: { requests: 10, window: { seconds: 1n } },
  });
  keyId = created.key?.id as string;
});
afterAll(async () => {
  clients.close();
  await t.close();
});

describe("the owning company's admins cannot widen an integration key", () => {
  it.each<[string, { scopes?: string[]; ipAllowlist?: string[] }]>([
    ["scopes", { scopes: ["*"] }],
    ["ip_allowlist", { ipAllowlist: [] }],
    ["expire_time", {}],
    ["rate_limit", {}],
  ])("UpdateKey %s: PERMISSION_DENIED, and nothing changes", async (path, fields) => {
    const before = await platform.getKey({ keyId });
    const err = await rpcError(
      vendor.updateKey({ key: { id: keyId, ...fields }, updateMask: { paths: [path] } }),
    );
    expect(err.code).toBe(Code.PermissionDenied);
    expect(await platform.getKey({ keyId })).toEqual(before);
  });

  it("RotateKey: PERMISSION_DENIED, and the key is not rotated", async () => {
    const err = await rpcError(vendor.rotateKey({ keyId, gracePeriod: { seconds: 0n } }));
    expect(err.code).toBe(Code.PermissionDenied);
    const key = await platform.getKey({ keyId });
    expect([key.status, key.rotatedToKeyId]).toEqual(["active", ""]);
  });

  it("may still rename and tag it; a platform admin may change what it grants", async () => {
    const renamed = await vendor.updateKey({
      key: { id: keyId, name: "sync", tags: ["crm"] },
      updateMask: { paths: ["name", "tags"] },
    });
    expect([renamed.name, renamed.tags]).toEqual(["sync", ["crm"]]);
    const widened = await platform.updateKey({
      key: { id: keyId, scopes: ["candidates:read", "jobs:read"] },
      updateMask: { paths: ["scopes"] },
    });
    expect(widened.scopes).toEqual(["candidates:read", "jobs:read"]);
  });

  it("the owner's admins still see every listed company", async () => {
    expect((await vendor.getKey({ keyId })).companyIds).toEqual(["acme", "globex"]);
  });
});

describe("a listed company sees only itself", () => {
  it("in GetKey and ListKeys", async () => {
    expect((await acme.getKey({ keyId })).companyIds).toEqual(["acme"]);
    expect((await globex.getKey({ keyId })).companyIds).toEqual(["globex"]);
    const listed = (await acme.listKeys({ pageSize: 1000 })).keys.find((k) => k.id === keyId);
    expect(listed?.companyIds).toEqual(["acme"]);
  });

  it("in the audit events filed under it", async () => {
    const { events } = await acme.listAuditEvents({ keyId });
    expect(events.length).toBeGreaterThan(0);
    const shown = JSON.stringify(events.map((e) => [e.companyIds, e.before, e.after]));
    expect(shown).not.toContain("globex");
    const created = events.find((e) => e.action === "key.create");
    expect(created?.companyIds.slice().sort()).toEqual(["acme", "vendor"]);
    expect(created?.after?.company_ids).toEqual(["acme"]);
  });
});
