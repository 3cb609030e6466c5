/// <reference lib="dom" />
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { useConsoleSuite } from "../helpers/console-browser.js";
import { verifyDelivery, WebhookReceiver } from "../helpers/webhook-receiver.js";

const SHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));

/**
 * The webhooks page against the real server and a real receiving endpoint: the signing secret shown once
 * signs what arrives, disabling stops deliveries, the deliveries table shows what was sent, delete removes.
 */
describe("console: webhooks", () => {
  const s = useConsoleSuite({
    env: { KEYWARD_WEBHOOK_ALLOW_INSECURE: "true", KEYWARD_WEBHOOK_RETRIES: "150ms" },
  });
  let receiver: WebhookReceiver;
  let clients: AdminClients;
  let acme: KeyAdminClient;
  let acmeAdmin: string;
  let secret = "";
  const url = () => receiver.url("/acme");
  const at = () => receiver.received.filter((r) => r.path === "/acme");
  const newKey = (name: string) => acme.createKey({ name, scopes: ["jobs:read"] });
  const button = (name: string) => s.page.getByRole("button", { name, exact: true });

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    acmeAdmin = (await s.t.mintKey({ companyId: "acme", scopes: ["keys:admin"], name: "acme admin" })).secret;
    clients = new AdminClients(s.t.adminUrl);
    acme = clients.client("connect-json-http1", acmeAdmin);
  });
  afterAll(async () => {
    clients?.close();
    await receiver?.close();
  });

  it("adds an endpoint and shows its signing secret once, kept nowhere after", async () => {
    await s.signIn(acmeAdmin);
    await s.page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await s.page.getByText("No webhooks yet.").waitFor();
    await button("Add webhook").click();
    const d = s.dialog("Add webhook");
    await d.getByRole("textbox", { name: "URL", exact: true }).fill(url());
    await d.getByRole("textbox", { name: "Event types", exact: true }).fill("key.created key.nonsense");
    await d.getByRole("button", { name: "Create webhook", exact: true }).click();
    await expect
      .poll(() => d.getByRole("textbox", { name: "Event types", exact: true }).getAttribute("aria-invalid"))
      .toBe("true");
    await d.getByRole("textbox", { name: "Event types", exact: true }).fill("key.created key.revoked");
    await d.getByRole("textbox", { name: "Description", exact: true }).fill("billing alerts");
    await d.getByRole("button", { name: "Create webhook", exact: true }).click();
    const sd = s.dialog("Copy your signing secret");
    secret = await sd.getByRole("textbox", { name: "Signing secret", exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await s.accessibilityProblems()).toEqual([]);
    await sd.getByRole("button", { name: "Done", exact: true }).click();
    await sd.getByRole("button", { name: "Done", exact: true }).click();
    await sd.waitFor({ state: "detached" });
    await s.page.getByRole("rowheader", { name: url() }).waitFor();
    const kept = await s.page.evaluate(async () => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      url: window.location.href,
      html: document.documentElement.outerHTML,
      indexedDb: JSON.stringify(await indexedDB.databases()),
    }));
    for (const place of Object.values(kept)) expect(place).not.toContain(secret.slice(6));
  });

  it("the secret signs what arrives, and the deliveries table shows it", async () => {
    await newKey("hooked");
    await receiver.waitFor(() => at().length >= 1);
    const first = at()[0];
    if (!first) throw new Error("nothing arrived");
    expect((verifyDelivery(secret, first) as { type: string }).type).toBe("key.created");
    await button(`Deliveries to ${url()}`).click();
    const deliveries = s.page.getByRole("region", { name: `Recent deliveries to ${url()}` });
    await expect
      .poll(async () => {
        await button("Refresh deliveries").click();
        return deliveries.getByRole("table").textContent();
      })
      .toContain("succeeded");
    expect(await deliveries.getByRole("table").textContent()).toContain("HTTP 204");
    expect(await s.accessibilityProblems()).toEqual([]);
    await s.page.screenshot({ path: `${SHOTS}webhooks.png`, fullPage: true });
    await deliveries.getByRole("button", { name: /^Redeliver key\.created / }).click();
    await receiver.waitFor(() => at().length >= 2);
    expect(at()[1]?.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
  });

  it("a disabled endpoint receives nothing until it is enabled again", async () => {
    await button(`Disable ${url()}`).click();
    await button(`Enable ${url()}`).waitFor();
    expect((await acme.listWebhooks({})).webhooks[0]?.disabled).toBe(true);
    const before = at().length;
    await newKey("while disabled");
    await button(`Enable ${url()}`).click();
    await button(`Disable ${url()}`).waitFor();
    await newKey("after enabling");
    await receiver.waitFor(() => at().some((r) => r.body.includes("after enabling")));
    expect(
      at()
        .slice(before)
        .some((r) => r.body.includes("while disabled")),
    ).toBe(false);
  });

  it("rotating the secret shows the new one once; it signs the next delivery", async () => {
    await button(`Rotate secret of ${url()}`).click();
    const sd = s.dialog("Copy your signing secret");
    const rotated = await sd.getByRole("textbox", { name: "Signing secret", exact: true }).inputValue();
    expect(rotated).not.toBe(secret);
    await sd.getByRole("button", { name: "Copy", exact: true }).click();
    await sd.getByRole("button", { name: "Done", exact: true }).click();
    const before = at().length;
    await newKey("after rotation");
    await receiver.waitFor(() => at().length > before);
    expect(() => verifyDelivery(rotated, at()[before] as (typeof receiver.received)[number])).not.toThrow();
  });

  it("deletes the endpoint after a confirmation", async () => {
    await button(`Delete ${url()}`).click();
    await s.dialog("Delete webhook").getByRole("button", { name: "Delete webhook", exact: true }).click();
    await s.page.getByText("No webhooks yet.").waitFor();
    expect((await acme.listWebhooks({})).webhooks).toEqual([]);
    expect(await s.cspViolations()).toEqual([]);
  });
});
