import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, invalidFields, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/** A message as text, for "does not contain" checks (timestamps hold bigints). */
const text = (m: unknown) => JSON.stringify(m, (_k, v) => (typeof v === "bigint" ? String(v) : v));

let t: TestApp;
let clients: AdminClients;
let platform: KeyAdminClient;
let acme: KeyAdminClient;
let globex: KeyAdminClient;

beforeAll(async () => {
  // KEYWARD_WEBHOOK_ALLOW_INSECURE is not set: the production rules apply.
  t = await startTestApp();
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
    "grpc-web-http1",
    (await t.mintKey({ companyId: "globex", scopes: ["keys:admin"] })).secret,
  );
});
afterAll(async () => {
  clients.close();
  await t.close();
});

describe("CreateWebhook", () => {
  it("answers the endpoint and a one-time whsec_ secret of 32 random bytes, never shown again", async () => {
    const { webhook, secret } = await acme.createWebhook({
      webhook: {
        url: "https://hooks.example.com/keyward",
        eventTypes: ["key.revoked"],
        description: "pager",
      },
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(webhook).toMatchObject({ companyId: "acme", eventTypes: ["key.revoked"], disabled: false });
    const got = await acme.getWebhook({ webhookId: webhook?.id as string });
    expect(text(got)).not.toContain(secret.slice(6));
    const listed = await acme.listWebhooks({});
    expect(text(listed)).not.toContain(secret.slice(6));
    expect(listed.webhooks.map((w) => w.id)).toContain(webhook?.id);
  });

  it("refuses private, loopback and plain-http targets without KEYWARD_WEBHOOK_ALLOW_INSECURE", async () => {
    for (const url of [
      "http://hooks.example.com/x",
      "https://127.0.0.1/x",
      "https://10.1.2.3/x",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://[fd00::1]/x",
      "https://localhost/x",
      "https://intranet/x",
      "https://user:pass@hooks.example.com/x",
      "not a url",
    ]) {
      expect(await invalidFields(acme.createWebhook({ webhook: { url } })), url).toEqual(["webhook.url"]);
    }
  });

  it("names unknown event types and a missing URL as field errors", async () => {
    const fields = await invalidFields(
      acme.createWebhook({ webhook: { url: "", eventTypes: ["key.created", "key.exploded"] } }),
    );
    expect(fields.sort()).toEqual(["webhook.event_types[1]", "webhook.url"]);
  });

  it("platform-wide endpoints are for platform admins only; another company's are out of reach", async () => {
    const wide = await platform.createWebhook({ webhook: { url: "https://all.example.com/h" } });
    expect(wide.webhook?.companyId).toBe("");
    expect(
      (
        await rpcError(
          acme.createWebhook({ webhook: { url: "https://a.example.com/h", companyId: "globex" } }),
        )
      ).code,
    ).toBe(Code.PermissionDenied);
    expect((await rpcError(acme.getWebhook({ webhookId: wide.webhook?.id as string }))).code).toBe(
      Code.NotFound,
    );
    const theirs = await globex.createWebhook({ webhook: { url: "https://g.example.com/h" } });
    const id = theirs.webhook?.id as string;
    expect((await rpcError(acme.getWebhook({ webhookId: id }))).code).toBe(Code.NotFound);
    expect((await rpcError(acme.deleteWebhook({ webhookId: id }))).code).toBe(Code.NotFound);
    expect((await rpcError(acme.rotateWebhookSecret({ webhookId: id }))).code).toBe(Code.NotFound);
    expect(
      (
        await rpcError(
          acme.updateWebhook({ webhook: { id, description: "x" }, updateMask: { paths: ["description"] } }),
        )
      ).code,
    ).toBe(Code.NotFound);
    expect((await acme.listWebhooks({ companyId: "globex" })).webhooks).toEqual([]);
    expect((await acme.listWebhooks({})).webhooks.map((w) => w.id)).not.toContain(id);
    const all = (await platform.listWebhooks({})).webhooks.map((w) => w.id);
    expect(all).toEqual(expect.arrayContaining([id, wide.webhook?.id]));
  });
});

describe("UpdateWebhook, DeleteWebhook and the audit log", () => {
  it("updates the masked fields, checks them like CreateWebhook, and audits every change without the secret", async () => {
    const { webhook, secret } = await acme.createWebhook({ webhook: { url: "https://one.example.com/h" } });
    const id = webhook?.id as string;
    expect(
      await invalidFields(
        acme.updateWebhook({ webhook: { id, url: "https://192.168.1.1/h" }, updateMask: { paths: ["url"] } }),
      ),
    ).toEqual(["webhook.url"]);
    expect(
      await invalidFields(acme.updateWebhook({ webhook: { id }, updateMask: { paths: ["secret"] } })),
    ).toEqual(["update_mask"]);
    const updated = await acme.updateWebhook({
      webhook: { id, url: "https://two.example.com/h", eventTypes: ["alert.denials"], disabled: true },
      updateMask: { paths: ["url", "event_types", "disabled"] },
    });
    expect(updated).toMatchObject({
      url: "https://two.example.com/h",
      eventTypes: ["alert.denials"],
      disabled: true,
    });
    const { secret: rotated } = await acme.rotateWebhookSecret({ webhookId: id });
    await acme.deleteWebhook({ webhookId: id });
    expect((await rpcError(acme.getWebhook({ webhookId: id }))).code).toBe(Code.NotFound);
    const { events } = await acme.listAuditEvents({ companyId: "acme" });
    const mine = events.filter((e) => text(e.after ?? e.before).includes(id));
    expect(mine.map((e) => e.action).reverse()).toEqual([
      "webhook.create",
      "webhook.update",
      "webhook.rotate_secret",
      "webhook.delete",
    ]);
    const all = text(events);
    expect(all).not.toContain(secret.slice(6));
    expect(all).not.toContain(rotated.slice(6));
  });
});
