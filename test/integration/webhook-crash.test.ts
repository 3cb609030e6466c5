import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients } from "../helpers/admin-clients.js";
import { type CliStore, cliStore, killSpawned, runCli, startServe } from "../helpers/cli.js";
import { verifyDelivery, WebhookReceiver } from "../helpers/webhook-receiver.js";

let store: CliStore;
let receiver: WebhookReceiver;

beforeAll(async () => {
  store = await cliStore();
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await killSpawned();
  await receiver.close();
  await store.remove();
});

/**
 * The real `keyward serve` process is killed (SIGKILL: no shutdown code runs) after the change committed and
 * while its delivery is in flight. The event was written with the change, so the restarted process sends it:
 * the same `webhook-id`, still verifiable. On PostgreSQL the dead process's lease lapses first (the attempt
 * timeout plus as much again); on PGlite the data dir proves no other process holds one.
 */
describe("a crash between commit and delivery", () => {
  it("still delivers the event after a restart", async () => {
    const env = { ...store.env, KEYWARD_WEBHOOK_ALLOW_INSECURE: "true", KEYWARD_WEBHOOK_TIMEOUT: "2s" };
    const made = await runCli(["keygen", "--company", "acme", "--admin", "--name", "ops"], env);
    expect(made.code).toBe(0);
    const adminKey = made.stdout.trim();

    const first = await startServe(env);
    const clients = new AdminClients(first.adminUrl);
    const admin = clients.client("connect-json-http1", adminKey);
    const { secret } = await admin.createWebhook({
      webhook: { url: receiver.url("/crash"), eventTypes: ["key.created"] },
    });
    receiver.script("/crash", "hang");
    const { key } = await admin.createKey({ name: "survivor", scopes: ["x:read"] });
    await receiver.waitFor((r) => r.length >= 1);
    expect(await first.stop("SIGKILL")).toBe(null);
    clients.close();

    const second = await startServe(env);
    try {
      await receiver.waitFor((r) => r.length >= 2, 30_000);
      const [lost, delivered] = receiver.received;
      expect(delivered?.headers["webhook-id"]).toBe(lost?.headers["webhook-id"]);
      expect(verifyDelivery(secret, delivered as never)).toMatchObject({
        type: "key.created",
        data: { key_id: key?.id, name: "survivor" },
      });
    } finally {
      await second.stop();
    }
  }, 120_000);
});
