import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { EnvoyClient, outcomeCode } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";
import { eventually, WebhookReceiver } from "../helpers/webhook-receiver.js";

let t: TestApp;
let clients: AdminClients;
let admin: KeyAdminClient;
let envoy: EnvoyClient;
let receiver: WebhookReceiver;
let key: { secret: string; id: string };

beforeAll(async () => {
  t = await startTestApp({
    env: {
      KEYWARD_WEBHOOK_ALLOW_INSECURE: "true",
      KEYWARD_NOTIFY_INTERVAL: "250ms",
      KEYWARD_ALERT_DENIALS: "5",
      KEYWARD_ALERT_SPIKE_MIN: "20",
    },
  });
  receiver = await WebhookReceiver.start();
  clients = new AdminClients(t.adminUrl);
  admin = clients.client("grpc-h2c", (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret);
  await admin.createWebhook({
    webhook: {
      url: receiver.url(),
      eventTypes: ["alert.new_source_ip", "alert.denials", "alert.usage_spike"],
    },
  });
  key = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"], name: "crawler" });
  envoy = new EnvoyClient(t.authzAddress);
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
  await receiver.close();
});

/** Sends `n` Checks with the key from `sourceIp`, needing `scope`; returns their outcomes. */
async function checks(
  n: number,
  sourceIp: string,
  scope = "candidates:read",
  secret = key.secret,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await envoy.check({
      path: "/v1/candidates",
      headers: { authorization: `Bearer ${secret}` },
      sourceIp,
      contextExtensions: { scopes: scope },
    });
    out.push(outcomeCode(res));
  }
  return out;
}

const alerts = (type: string) => receiver.events().filter((e) => e.type === type && e.data.key_id === key.id);

/** Waits until the scans have taken in the key's addresses (the traffic flush and a scan have run). */
async function known(ip: string): Promise<void> {
  await eventually(async () => {
    const row = await t.app.ctx.database.db
      .selectFrom("key_source_ips")
      .select("source_ip")
      .where("key_id", "=", key.id)
      .where("source_ip", "=", ip)
      .executeTakeFirst();
    return row ?? undefined;
  });
}

describe("alerts judged from real Check traffic", () => {
  it("alert.new_source_ip: a second address fires once; the first address is the baseline", async () => {
    expect(await checks(3, "198.51.100.10")).toEqual(["allow", "allow", "allow"]);
    await known("198.51.100.10");
    expect(alerts("alert.new_source_ip")).toEqual([]);

    expect(await checks(2, "203.0.113.77")).toEqual(["allow", "allow"]);
    await receiver.waitFor(() => alerts("alert.new_source_ip").length >= 1);
    const [alert] = alerts("alert.new_source_ip");
    expect(alert?.data).toMatchObject({
      key_id: key.id,
      company_id: "acme",
      name: "crawler",
      source_ip: "203.0.113.77",
    });

    // The same address again, and the first one: nothing new.
    await checks(2, "203.0.113.77");
    await checks(1, "198.51.100.10");
    await known("203.0.113.77");
    await new Promise((r) => setTimeout(r, 1500));
    expect(alerts("alert.new_source_ip")).toHaveLength(1);
  });

  it("alert.denials: denials in five minutes past the threshold fire once an hour", async () => {
    expect(await checks(6, "198.51.100.10", "admin:write")).toEqual(Array(6).fill("insufficient_scope"));
    await receiver.waitFor(() => alerts("alert.denials").length >= 1);
    const [alert] = alerts("alert.denials");
    expect(alert?.data).toMatchObject({ key_id: key.id, threshold: 5, window_seconds: 300 });
    expect(Number(alert?.data.denied)).toBeGreaterThanOrEqual(5);

    await checks(6, "198.51.100.10", "admin:write");
    await new Promise((r) => setTimeout(r, 1500));
    expect(alerts("alert.denials")).toHaveLength(1);
    expect(alerts("alert.usage_spike")).toEqual([]);
  });

  it("alert.usage_spike: a key with no usual traffic passing the minimum in five minutes", async () => {
    const busy = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"], name: "batch" });
    expect(new Set(await checks(25, "198.51.100.20", "candidates:read", busy.secret))).toEqual(
      new Set(["allow"]),
    );
    await receiver.waitFor(() =>
      receiver.events().some((e) => e.type === "alert.usage_spike" && e.data.key_id === busy.id),
    );
    const spike = receiver.events().find((e) => e.type === "alert.usage_spike");
    expect(spike?.data).toMatchObject({ key_id: busy.id, name: "batch", previous_day_requests: 0 });
    expect(Number(spike?.data.requests)).toBeGreaterThanOrEqual(20);
  });
});
