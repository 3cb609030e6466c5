import { createHash, randomBytes } from "node:crypto";

/** A new session id: 256 random bits, cookie-safe. */
export function newSessionId(): string {
  return randomBytes(32).toString("base64url");
}

/** What the database keeps of a session id: its SHA-256, so a leaked table signs nobody in. */
export function hashSessionId(id: string): Uint8Array {
  return createHash("sha256").update(id).digest();
}

/** Whether `text` has the shape of a session id (and so is worth a lookup). */
export function isSessionId(text: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(text);
}
