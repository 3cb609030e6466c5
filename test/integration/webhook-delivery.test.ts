import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";
import { eventually, verifyDelivery, WebhookReceiver } from "../helpers/webhook-receiver.js";

let t: TestApp;
let clients: AdminClients;
let platform: KeyAdminClient;
let acme: KeyAdminClient;
let globex: KeyAdminClient;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await startTestApp({
    env: { KEYWARD_WEBHOOK_ALLOW_INSECURE: "true", KEYWARD_WEBHOOK_RETRIES: "150ms,150ms,150ms" },
  });
  clients = new AdminClients(t.adminUrl);
  platform = clients.client(
    "grpc-h2c",
    (await t.mintKey({ companyId: "ops", scopes: ["platform:admin"] })).secret,
  );
  acme = clients.client(
    "connect-json-http1",
    (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret,
  );
  globex = clients.client(
    "grpc-h2c",
    (await t.mintKey({ companyId: "globex", scopes: ["keys:admin"] })).secret,
  );
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  clients.close();
  await t.close();
  await receiver.close();
});

/** A new endpoint of `client`'s company at its own path of the receiver. */
async function endpoint(client: KeyAdminClient, path: string, eventTypes: string[] = []) {
  const { webhook, secret } = await client.createWebhook({
    webhook: { url: receiver.url(path), eventTypes },
  });
  if (!webhook) throw new Error("no webhook");
  return { id: webhook.id, secret, path };
}

const at = (path: string) => receiver.received.filter((r) => r.path === path);

describe("lifecycle events reach the endpoint, signed", () => {
  it("delivers every key lifecycle event, each verified by the standardwebhooks library", async () => {
    const hook = await endpoint(acme, "/lifecycle");
    const { key, secret: keySecret } = await acme.createKey({ name: "billing", scopes: ["orders:read"] });
    const id = key?.id as string;
    await acme.updateKey({ key: { id, name: "billing-2" }, updateMask: { paths: ["name"] } });
    await acme.suspendKey({ keyId: id, reason: "investigating" });
    await acme.resumeKey({ keyId: id });
    const rotated = await acme.rotateKey({ keyId: id });
    await acme.revokeKey({ keyId: rotated.key?.id as string, reason: "done" });
    const types = [
      "key.created",
      "key.updated",
      "key.suspended",
      "key.resumed",
      "key.rotated",
      "key.revoked",
    ];
    await receiver.waitFor(() => at(hook.path).length >= types.length);
    const got = at(hook.path);
    // In order per endpoint, as committed.
    expect(got.map((r) => JSON.parse(r.body).type)).toEqual(types);
    for (const r of got) {
      const payload = verifyDelivery(hook.secret, r) as {
        type: string;
        timestamp: string;
        data: Record<string, unknown>;
      };
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["webhook-id"]).toMatch(/^msg_[0-9A-Za-z]{22}$/);
      expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
      expect(Number.isNaN(Date.parse(payload.timestamp))).toBe(false);
      expect(payload.data.company_id).toBe("acme");
      // Thin payloads: no secret, no hash, no hint.
      expect(r.body).not.toContain(keySecret);
      expect(r.body).not.toContain(rotated.secret);
      expect(Object.keys(payload.data)).not.toContain("hint");
      expect(r.body).not.toMatch(/hash/);
    }
    const [created, updated, suspended, , rotation, revoked] = got.map((r) => JSON.parse(r.body).data);
    expect(created).toMatchObject({ key_id: id, name: "billing", status: "active", environment: "live" });
    expect(updated).toMatchObject({ key_id: id, name: "billing-2", changed_fields: ["name"] });
    expect(suspended).toMatchObject({ key_id: id, status: "suspended", reason: "investigating" });
    expect(rotation).toMatchObject({ key_id: id, new_key_id: rotated.key?.id });
    expect(revoked).toMatchObject({ key_id: rotated.key?.id, status: "revoked", reason: "done" });
    // A signature made with another secret does not verify.
    expect(() =>
      verifyDelivery(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, got[0] as never),
    ).toThrow();
  });

  it("sends only the subscribed event types", async () => {
    const hook = await endpoint(acme, "/only-revoked", ["key.revoked"]);
    const { key } = await acme.createKey({ name: "short", scopes: ["orders:read"] });
    await acme.revokeKey({ keyId: key?.id as string, reason: "test" });
    await receiver.waitFor(() => at(hook.path).length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(at(hook.path).map((r) => JSON.parse(r.body).type)).toEqual(["key.revoked"]);
  });
});

describe("company isolation", () => {
  it("company A's endpoint never receives company B's events; a platform-wide one receives both", async () => {
    const a = await endpoint(acme, "/iso-acme");
    const b = await endpoint(globex, "/iso-globex");
    const all = await endpoint(platform, "/iso-platform");
    const { key: ka } = await acme.createKey({ name: "a", scopes: ["x:read"] });
    const { key: kb } = await globex.createKey({ name: "b", scopes: ["x:read"] });
    await acme.revokeKey({ keyId: ka?.id as string, reason: "r" });
    await globex.revokeKey({ keyId: kb?.id as string, reason: "r" });
    await receiver.waitFor(
      () => at(all.path).length >= 4 && at(a.path).length >= 2 && at(b.path).length >= 2,
    );
    await new Promise((r) => setTimeout(r, 300));
    const companies = (path: string) => new Set(receiver.events(path).map((e) => e.data.company_id));
    expect(companies(a.path)).toEqual(new Set(["acme"]));
    expect(companies(b.path)).toEqual(new Set(["globex"]));
    expect(companies(all.path)).toEqual(new Set(["acme", "globex"]));
    // And one company's admin cannot see the other's endpoint.
    expect((await rpcError(acme.getWebhook({ webhookId: b.id }))).code).toBe(Code.NotFound);
    expect((await rpcError(acme.listWebhookDeliveries({ webhookId: b.id }))).code).toBe(Code.NotFound);
  });
});

describe("retries, 410 and redirects", () => {
  it("a receiver failing twice then succeeding gets the same webhook-id three times", async () => {
    const hook = await endpoint(acme, "/flaky");
    receiver.script(hook.path, { status: 500 }, { status: 503, headers: { "retry-after": "0" } });
    await acme.createKey({ name: "retry-me", scopes: ["x:read"] });
    await receiver.waitFor(() => at(hook.path).length >= 3);
    const ids = at(hook.path).map((r) => r.headers["webhook-id"]);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    for (const r of at(hook.path)) verifyDelivery(hook.secret, r);
    const { deliveries } = await eventually(async () => {
      const page = await acme.listWebhookDeliveries({ webhookId: hook.id });
      return page.deliveries[0]?.state === "succeeded" ? page : undefined;
    });
    expect(deliveries[0]).toMatchObject({
      attempt: 3,
      statusCode: 204,
      state: "succeeded",
      eventType: "key.created",
    });
  });

  it("a delivery that keeps failing is failed after the last retry", async () => {
    const hook = await endpoint(acme, "/broken");
    receiver.script(hook.path, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    await acme.createKey({ name: "never", scopes: ["x:read"] });
    const delivery = await eventually(async () => {
      const d = (await acme.listWebhookDeliveries({ webhookId: hook.id })).deliveries[0];
      return d?.state === "failed" ? d : undefined;
    });
    // The first attempt and one retry after each of the three waits.
    expect(delivery).toMatchObject({ attempt: 4, statusCode: 500, error: "HTTP 500" });
    expect(at(hook.path)).toHaveLength(4);
  });

  it("410 Gone disables the endpoint", async () => {
    const hook = await endpoint(acme, "/gone");
    receiver.script(hook.path, { status: 410 });
    await acme.createKey({ name: "gone-1", scopes: ["x:read"] });
    const disabled = await eventually(async () => {
      const w = await acme.getWebhook({ webhookId: hook.id });
      return w.disabled ? w : undefined;
    });
    expect(disabled.disabledReason).toContain("410");
    await acme.createKey({ name: "gone-2", scopes: ["x:read"] });
    await new Promise((r) => setTimeout(r, 400));
    expect(at(hook.path)).toHaveLength(1);
    // Enabling it again resumes deliveries.
    await acme.updateWebhook({
      webhook: { id: hook.id, disabled: false },
      updateMask: { paths: ["disabled"] },
    });
    await acme.createKey({ name: "gone-3", scopes: ["x:read"] });
    await receiver.waitFor(() => at(hook.path).length >= 2);
    expect(receiver.events(hook.path)[1]?.data.name).toBe("gone-3");
  });

  it("a redirect is not followed: it counts as a failure", async () => {
    const hook = await endpoint(acme, "/redirect");
    const target = "/redirect-target";
    receiver.script(hook.path, { status: 307, headers: { location: receiver.url(target) } });
    await acme.createKey({ name: "redirected", scopes: ["x:read"] });
    // The retry (same endpoint, not the Location) succeeds.
    await receiver.waitFor(() => at(hook.path).length >= 2);
    expect(at(target)).toHaveLength(0);
    const first = await eventually(async () => {
      const [d] = (await acme.listWebhookDeliveries({ webhookId: hook.id })).deliveries;
      return d?.state === "succeeded" ? d : undefined;
    });
    expect(first).toMatchObject({ attempt: 2, statusCode: 204 });
  });
});

describe("secret rotation and redelivery", () => {
  it("after rotation both the old and the new secret verify, for 24 hours", async () => {
    const hook = await endpoint(acme, "/rotate", ["key.created"]);
    const { secret: fresh, webhook } = await acme.rotateWebhookSecret({ webhookId: hook.id });
    expect(fresh).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(fresh).not.toBe(hook.secret);
    expect(webhook?.id).toBe(hook.id);
    await acme.createKey({ name: "after-rotation", scopes: ["x:read"] });
    await receiver.waitFor(() => at(hook.path).length >= 1);
    const r = at(hook.path)[0];
    if (!r) throw new Error("nothing received");
    expect(String(r.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyDelivery(fresh, r)).toMatchObject({ type: "key.created" });
    expect(verifyDelivery(hook.secret, r)).toMatchObject({ type: "key.created" });
  });

  it("RedeliverWebhook sends the same event again as a new delivery", async () => {
    const hook = await endpoint(acme, "/again", ["key.created"]);
    await acme.createKey({ name: "again", scopes: ["x:read"] });
    await receiver.waitFor(() => at(hook.path).length >= 1);
    const [first] = (await acme.listWebhookDeliveries({ webhookId: hook.id })).deliveries;
    const again = await acme.redeliverWebhook({ deliveryId: first?.id as string });
    expect(again.id).not.toBe(first?.id);
    expect(again.eventId).toBe(first?.eventId);
    await receiver.waitFor(() => at(hook.path).length >= 2);
    expect(at(hook.path)[1]?.headers["webhook-id"]).toBe(first?.eventId);
    expect((await rpcError(globex.redeliverWebhook({ deliveryId: first?.id as string }))).code).toBe(
      Code.NotFound,
    );
  });
});

describe("metrics", () => {
  it("counts deliveries by outcome and reports the queue", async () => {
    const text = await (await fetch(`${t.adminUrl}/metrics`)).text();
    expect(text).toMatch(/keyward_webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/keyward_webhook_deliveries_total\{outcome="retrying"\} [1-9]/);
    expect(text).toMatch(/keyward_webhook_deliveries_total\{outcome="disabled"\} 1/);
    expect(text).toMatch(/keyward_webhook_queue_depth \d+/);
    expect(text).toMatch(/keyward_webhook_oldest_pending_seconds \d/);
  });
});
