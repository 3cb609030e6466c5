import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { deniedBody, EnvoyClient } from "../helpers/envoy-client.js";
import { selfRevoke } from "../helpers/leak-reports.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";
import { WebhookReceiver } from "../helpers/webhook-receiver.js";

/**
 * What a report does under each KEYWARD_LEAK_POLICY: the audit events and webhooks, in order, and once only.
 * `revoke` (the default) revokes the key; `notify` only flags it and it stays valid.
 */
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver.close());

interface Setup {
  t: TestApp;
  envoy: EnvoyClient;
  clients: AdminClients;
  admin: KeyAdminClient;
}

/** An app under `policy` with an endpoint of company acme at `path`. */
function appWith(policy: "revoke" | "notify", path: string): Setup {
  const s = {} as Setup;
  beforeAll(async () => {
    s.t = await startTestApp({
      env: {
        KEYWARD_LEAK_POLICY: policy,
        KEYWARD_WEBHOOK_ALLOW_INSECURE: "true",
        KEYWARD_LEAK_REVOKE_LIMIT: "1000/1m",
      },
    });
    s.envoy = new EnvoyClient(s.t.authzAddress);
    s.clients = new AdminClients(s.t.adminUrl);
    s.admin = s.clients.client(
      "grpc-h2c",
      (await s.t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret,
    );
    await s.admin.createWebhook({
      webhook: { url: receiver.url(path), eventTypes: ["key.leaked", "key.revoked"] },
    });
  });
  afterAll(async () => {
    s.envoy.close();
    s.clients.close();
    await s.t.close();
  });
  return s;
}

async function check(envoy: EnvoyClient, secret: string): Promise<string> {
  const res = await envoy.check({ headers: { authorization: `Bearer ${secret}` } });
  return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
}

const eventsAt = (path: string, keyId: string) =>
  receiver.events(path).filter((e) => e.data.key_id === keyId);

/** The events queued about `keyId` in commit order: what the outbox holds, delivered yet or not. */
async function published(t: TestApp, keyId: string): Promise<string[]> {
  const rows = await t.app.ctx.database.db
    .selectFrom("webhook_deliveries")
    .innerJoin("webhook_events", "webhook_events.id", "webhook_deliveries.event_id")
    .select(["webhook_events.type", "webhook_events.body"])
    .orderBy("webhook_deliveries.seq")
    .execute();
  return rows.filter((r) => JSON.parse(r.body).data.key_id === keyId).map((r) => r.type);
}

describe("KEYWARD_LEAK_POLICY=revoke (default)", () => {
  const s = appWith("revoke", "/revoke-policy");

  it("audits key.leaked then key.revoke, and sends key.leaked then key.revoked, once", async () => {
    const key = await s.t.mintKey({ companyId: "acme", name: "billing" });
    expect((await selfRevoke(s.t.adminUrl, [key.secret])).status).toBe(202);
    await receiver.waitFor(() => eventsAt("/revoke-policy", key.id).length >= 2);
    const [leaked, revoked] = eventsAt("/revoke-policy", key.id);
    expect(leaked?.type).toBe("key.leaked");
    expect(leaked?.data).toMatchObject({
      company_id: "acme",
      name: "billing",
      status: "revoked",
      source: "self",
      location: null,
      action: "revoked",
    });
    expect(revoked?.type).toBe("key.revoked");
    expect(revoked?.data).toMatchObject({ status: "revoked", reason: "leaked: reported by self" });
    const { events } = await s.admin.listAuditEvents({ keyId: key.id });
    expect(events.map((e) => e.action).reverse()).toEqual(["key.create", "key.leaked", "key.revoke"]);

    expect((await selfRevoke(s.t.adminUrl, [key.secret])).status).toBe(202);
    expect(await published(s.t, key.id)).toEqual(["key.leaked", "key.revoked"]);
    expect((await s.admin.listAuditEvents({ keyId: key.id })).events).toHaveLength(3);
    for (const r of receiver.received) expect(r.body).not.toContain(key.secret);
  });

  it("a key revoked before it was reported stays as it was: no event, no audit", async () => {
    const key = await s.t.mintKey({ companyId: "acme" });
    await s.admin.revokeKey({ keyId: key.id, reason: "rotated by hand" });
    await receiver.waitFor(() => eventsAt("/revoke-policy", key.id).length >= 1);
    expect((await selfRevoke(s.t.adminUrl, [key.secret])).status).toBe(202);
    expect(await published(s.t, key.id)).toEqual(["key.revoked"]);
    const got = await s.admin.getKey({ keyId: key.id });
    expect([got.revokeReason, got.leaked]).toEqual(["rotated by hand", false]);
  });
});

describe("KEYWARD_LEAK_POLICY=notify", () => {
  const s = appWith("notify", "/notify-policy");

  it("flags the key without revoking it: it keeps working, GetKey shows the flag, key.leaked once", async () => {
    const key = await s.t.mintKey({ companyId: "acme" });
    expect((await selfRevoke(s.t.adminUrl, [key.secret])).status).toBe(202);
    expect(await check(s.envoy, key.secret)).toBe("allow");
    const got = await s.admin.getKey({ keyId: key.id });
    expect([got.status, got.leaked, got.leakReport?.reporter]).toEqual(["active", true, "self"]);
    expect(got.leakReport?.reportTime).toBeDefined();
    await receiver.waitFor(() => eventsAt("/notify-policy", key.id).length >= 1);
    const [leaked] = eventsAt("/notify-policy", key.id);
    expect(leaked).toMatchObject({ type: "key.leaked", data: { status: "active", action: "flagged" } });
    const { events } = await s.admin.listAuditEvents({ keyId: key.id });
    expect(events.map((e) => e.action).reverse()).toEqual(["key.create", "key.leaked"]);
    expect(events[0]?.after).toMatchObject({ reporter: "self", action: "flagged" });

    // A second report keeps the first and tells nobody again.
    expect((await selfRevoke(s.t.adminUrl, [key.secret])).status).toBe(202);
    expect(await published(s.t, key.id)).toEqual(["key.leaked"]);
    expect((await s.admin.listAuditEvents({ keyId: key.id })).events).toHaveLength(2);
    expect((await s.admin.getKey({ keyId: key.id })).leakReport).toEqual(got.leakReport);
  });
});
