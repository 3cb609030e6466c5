import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendRequest } from "../../src/webhooks/send-request.js";
import { WebhookReceiver } from "../helpers/webhook-receiver.js";

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await receiver.close();
});

const request = (url: string, allowInsecure: boolean, timeoutMs = 5000) =>
  sendRequest({ url, headers: { "content-type": "application/json" }, body: "{}", timeoutMs, allowInsecure });

describe("one delivery attempt", () => {
  it("resolves the host name and refuses to connect when it points at a private address", async () => {
    const url = receiver.url("/dns").replace("127.0.0.1", "localhost");
    const refused = await request(url, false);
    expect(refused).toMatchObject({ kind: "failure", status: null });
    if (refused.kind === "failure") expect(refused.error).toContain("non-public");
    expect(receiver.received.filter((r) => r.path === "/dns")).toHaveLength(0);
    // The same target with KEYWARD_WEBHOOK_ALLOW_INSECURE=true is reached.
    expect(await request(url, true)).toEqual({ kind: "success", status: 204 });
    expect(receiver.received.filter((r) => r.path === "/dns")).toHaveLength(1);
  });

  it("refuses a private IP literal without connecting", async () => {
    const refused = await request(receiver.url("/literal"), false);
    expect(refused.kind).toBe("failure");
    expect(receiver.received.filter((r) => r.path === "/literal")).toHaveLength(0);
  });

  it("gives up on a receiver that does not answer within the timeout", async () => {
    receiver.script("/slow", "hang");
    const outcome = await request(receiver.url("/slow"), true, 300);
    expect(outcome).toMatchObject({ kind: "failure", status: null, error: "no answer within 300 ms" });
  });

  it("reports a redirect as a failure with its status, without following it", async () => {
    receiver.script("/moved", { status: 301, headers: { location: receiver.url("/elsewhere") } });
    expect(await request(receiver.url("/moved"), true)).toMatchObject({
      kind: "failure",
      status: 301,
      error: "redirect not followed",
    });
    expect(receiver.received.filter((r) => r.path === "/elsewhere")).toHaveLength(0);
  });
});
