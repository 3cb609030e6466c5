import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signatureHeader, signV1 } from "../../src/webhooks/signing.js";

describe("Standard Webhooks v1 signatures", () => {
  const body = JSON.stringify({
    type: "key.created",
    timestamp: "2026-01-01T00:00:00.000Z",
    data: { key_id: "k" },
  });
  const id = "msg_abc";

  it("verify with the standardwebhooks library", () => {
    const secret = newWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": signV1(secret, id, ts, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("match the library's own signer byte for byte", () => {
    const secret = newWebhookSecret();
    const at = new Date(1_767_225_600_000);
    expect(signV1(secret, id, at.getTime() / 1000, body)).toBe(new Webhook(secret).sign(id, at, body));
  });

  it("carry one signature per secret during a rotation; either secret verifies", () => {
    const [older, newer] = [newWebhookSecret(), newWebhookSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const header = signatureHeader([newer, older], id, ts, body);
    expect(header.split(" ")).toHaveLength(2);
    const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": header };
    expect(new Webhook(older).verify(body, headers)).toBeTruthy();
    expect(new Webhook(newer).verify(body, headers)).toBeTruthy();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(newer).verify(`${body} `, headers)).toThrow();
  });

  it("secrets are whsec_ and base64 of 32 fresh random bytes", () => {
    const secrets = new Set(Array.from({ length: 50 }, newWebhookSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) {
      expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(s.slice(6), "base64")).toHaveLength(32);
    }
  });
});
