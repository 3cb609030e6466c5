import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Membership, user, detach and company_ids changes are filed under every company they affect, and each of those
 * companies' admins finds them in ListAuditEvents; unaffected companies do not. GetKeyUsage breaks a
 * multi-company key's traffic down by the company each request acted for.
 */

let t: TestApp;
let clients: AdminClients;
let envoy: EnvoyClient;
let platform: KeyAdminClient;
const admins: Record<string, { client: KeyAdminClient; keyId: string }> = {};

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  envoy = new EnvoyClient(t.authzAddress);
  platform = clients.client(
    "connect-json-http1",
    (await t.mintKey({ companyId: "keyward", scopes: ["platform:admin"] })).secret,
  );
  for (const company of ["acme", "globex", "initech", "umbrella"]) {
    const { id, secret } = await t.mintKey({ companyId: company, scopes: ["keys:admin"] });
    admins[company] = { client: clients.client("connect-json-http1", secret), keyId: id };
  }
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

function admin(company: string): KeyAdminClient {
  return (admins[company] as { client: KeyAdminClient }).client;
}

/** The events `viewer` sees with `action`, about `subject` (a user id or a key id). */
async function seen(viewer: KeyAdminClient, action: string, subject: string): Promise<AuditEvent[]> {
  const { events } = await viewer.listAuditEvents({ action, pageSize: 1000 });
  return events.filter((e) => e.userId === subject || e.keyId === subject);
}

describe("membership and user events", () => {
  const user = "audit-u1";

  beforeAll(async () => {
    await admin("acme").createUser({ user: { id: user, name: "Lin", defaultCompanyId: "acme" } });
    await admin("globex").addMembership({ userId: user, companyId: "globex", scopes: ["*"] });
    await admin("globex").removeMembership({ userId: user, companyId: "globex" });
  });

  it("CreateUser: user.create and membership.add under the default company, with the user id", async () => {
    const [created] = await seen(admin("acme"), "user.create", user);
    expect(created).toMatchObject({ userId: user, keyId: "", companyId: "acme", companyIds: ["acme"] });
    expect(created?.actor).toBe(admins.acme?.keyId);
    expect(created?.after).toMatchObject({ name: "Lin", default_company_id: "acme" });
    const joined = (await seen(admin("acme"), "membership.add", user)).filter((e) => e.companyId === "acme");
    expect(joined).toHaveLength(1);
    expect(await seen(admin("globex"), "user.create", user)).toEqual([]);
  });

  it("AddMembership to another company: filed under it and the user's default company", async () => {
    for (const viewer of ["globex", "acme"]) {
      const events = (await seen(admin(viewer), "membership.add", user)).filter(
        (e) => e.companyId === "globex",
      );
      expect(events, viewer).toHaveLength(1);
      expect(events[0]).toMatchObject({ userId: user, actor: admins.globex?.keyId });
      expect([...(events[0]?.companyIds ?? [])].sort()).toEqual(["acme", "globex"]);
      expect(events[0]?.after).toEqual({ company_id: "globex", scopes: ["*"] });
    }
    expect(await seen(admin("initech"), "membership.add", user)).toEqual([]);
  });

  it("RemoveMembership: filed under the company and the default company, never elsewhere", async () => {
    for (const viewer of ["globex", "acme"]) {
      const [removed] = await seen(admin(viewer), "membership.remove", user);
      expect(removed, viewer).toMatchObject({ userId: user, companyId: "globex" });
      expect([...(removed?.companyIds ?? [])].sort()).toEqual(["acme", "globex"]);
      expect(removed?.before).toEqual({ company_id: "globex" });
    }
    expect(await seen(admin("initech"), "membership.remove", user)).toEqual([]);
  });

  it("a platform admin finds them by either company", async () => {
    for (const companyId of ["acme", "globex"]) {
      const { events } = await platform.listAuditEvents({ companyId, action: "membership.remove" });
      expect(events.map((e) => e.userId)).toContain(user);
    }
    const { events } = await platform.listAuditEvents({ companyId: "initech", action: "membership.remove" });
    expect(events.map((e) => e.userId)).not.toContain(user);
  });
});

describe("integration key list changes", () => {
  it("DetachCompany: filed under the key's company, the detached one and those still listed", async () => {
    const created = await platform.createKey({
      companyId: "keyward",
      kind: "integration",
      companyIds: ["acme", "globex"],
    });
    const keyId = created.key?.id as string;
    await admin("acme").detachCompany({ keyId, companyId: "acme" });
    const [detached] = await seen(admin("acme"), "key.detach_company", keyId);
    expect(detached).toMatchObject({ keyId, companyId: "keyward", actor: admins.acme?.keyId });
    // acme is only listed on the key: it sees itself and the key's owner, never the other customers.
    expect([...(detached?.companyIds ?? [])].sort()).toEqual(["acme", "keyward"]);
    expect(detached?.before).toEqual({ company_ids: ["acme"] });
    expect(detached?.after).toEqual({ company_ids: [] });
    const [whole] = (await platform.listAuditEvents({ keyId, action: "key.detach_company" })).events;
    expect([...(whole?.companyIds ?? [])].sort()).toEqual(["acme", "globex", "keyward"]);
    expect(whole?.before).toEqual({ company_ids: ["acme", "globex"] });
    expect(whole?.after).toEqual({ company_ids: ["globex"] });
    const { events } = await platform.listAuditEvents({ companyId: "keyward", action: "key.detach_company" });
    expect(events.map((e) => e.keyId)).toContain(keyId);
    expect(await seen(admin("globex"), "key.detach_company", keyId)).toHaveLength(1);
    expect(await seen(admin("initech"), "key.detach_company", keyId)).toEqual([]);
  });

  it("company_ids update: filed under every company before and after the change, and no other", async () => {
    const created = await platform.createKey({
      companyId: "keyward",
      kind: "integration",
      companyIds: ["acme", "globex"],
    });
    const keyId = created.key?.id as string;
    await platform.updateKey({
      key: { id: keyId, companyIds: ["globex", "initech"] },
      updateMask: { paths: ["company_ids"] },
    });
    for (const viewer of ["acme", "globex", "initech"]) {
      const [updated] = await seen(admin(viewer), "key.update", keyId);
      expect(updated, viewer).toMatchObject({ keyId, companyId: "keyward" });
      expect([...(updated?.companyIds ?? [])].sort()).toEqual([viewer, "keyward"].sort());
      expect(updated?.after).toEqual({ company_ids: viewer === "acme" ? [] : [viewer] });
    }
    expect(await seen(admin("umbrella"), "key.update", keyId)).toEqual([]);
  });
});

describe("GetKeyUsage by acting company", () => {
  // request_count counts allowed requests, denied_count denied ones.

  /** Sends `times` Checks with `secret`, naming `company` in the selector header when given. */
  async function send(secret: string, company: string | null, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
      if (company !== null) headers["x-keyward-company"] = company;
      await envoy.check({ path: "/v1/candidates", headers });
    }
  }

  const breakdown = (usage: {
    companies: { companyId: string; requestCount: bigint; deniedCount: bigint }[];
  }) => usage.companies.map((c) => [c.companyId, c.requestCount, c.deniedCount]);

  it("counts an integration key's requests per acting company; denials under the key's own company", async () => {
    const created = await platform.createKey({
      companyId: "keyward",
      kind: "integration",
      companyIds: ["acme", "globex"],
    });
    await send(created.secret, "acme", 3);
    await send(created.secret, "globex", 2);
    await send(created.secret, "initech", 1);
    await send(created.secret, null, 1);
    await t.app.ctx.traffic.flush();
    const usage = await platform.getKeyUsage({ keyId: created.key?.id as string });
    expect(breakdown(usage)).toEqual([
      ["acme", 3n, 0n],
      ["globex", 2n, 0n],
      ["keyward", 0n, 2n],
    ]);
    expect([usage.requestCount, usage.deniedCount]).toEqual([5n, 2n]);
  });

  it("counts a user token's requests per acting company", async () => {
    await platform.createUser({ user: { id: "usage-u1", defaultCompanyId: "acme" } });
    await platform.addMembership({ userId: "usage-u1", companyId: "globex", scopes: ["*"] });
    const created = await platform.createKey({ kind: "user", userId: "usage-u1" });
    await send(created.secret, null, 2);
    await send(created.secret, "acme", 1);
    await send(created.secret, "globex", 4);
    await send(created.secret, "initech", 1);
    await t.app.ctx.traffic.flush();
    const usage = await admin("acme").getKeyUsage({ keyId: created.key?.id as string });
    expect(breakdown(usage)).toEqual([
      ["acme", 3n, 1n],
      ["globex", 4n, 0n],
    ]);
    expect([usage.requestCount, usage.deniedCount]).toEqual([7n, 1n]);
  });
});
