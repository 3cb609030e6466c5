import { createHmac, randomBytes } from "node:crypto";

const SECRET_PREFIX = "whsec_";

/** A new signing secret: "whsec_" + base64 of 32 random bytes, as Standard Webhooks has it. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** The key bytes of a `whsec_` secret. */
export function secretBytes(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    "base64",
  );
}

/** One `v1,<base64>` signature of `{id}.{timestamp}.{body}` (Standard Webhooks v1). */
export function signV1(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretBytes(secret)).update(`${id}.${timestampSeconds}.${body}`);
  return `v1,${mac.digest("base64")}`;
}

/**
 * The `webhook-signature` header value: one signature per secret, space-separated, so a receiver holding
 * either the new or the previous secret verifies during a rotation.
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((s) => signV1(s, id, timestampSeconds, body)).join(" ");
}
