import { createHmac } from "node:crypto";
import { digestsEqual } from "../keys/hasher.js";

/**
 * Opaque, tamper-proof page tokens: the position to resume from, bound to the query it came from, signed
 * with a key derived from the pepper. A token edited, forged or replayed against another filter is refused.
 */
export class PageTokens {
  private readonly secret: Buffer;

  constructor(pepper: Buffer) {
    this.secret = createHmac("sha256", pepper).update("keyward page tokens").digest();
  }

  /** A token for resuming after `position` in the query described by `scope`. */
  encode(scope: string, position: readonly string[]): string {
    const body = Buffer.from(JSON.stringify(position)).toString("base64url");
    return `${body}.${this.mac(scope, body).toString("base64url")}`;
  }

  /** The position in `token`, or undefined when it is not one this server issued for `scope`. */
  decode(scope: string, token: string): string[] | undefined {
    const [body, mac, extra] = token.split(".");
    if (!body || !mac || extra !== undefined || token.length > 1024) return undefined;
    // Compare the text, not decoded bytes: Node's base64 decoder skips stray characters and padding bits,
    // so many strings decode to the same MAC and a decoded comparison would accept edited tokens.
    const expected = Buffer.from(this.mac(scope, body).toString("base64url"));
    if (!digestsEqual(Buffer.from(mac), expected)) return undefined;
    try {
      const position = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as unknown;
      return Array.isArray(position) && position.every((p) => typeof p === "string") ? position : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(scope: string, body: string): Buffer {
    return createHmac("sha256", this.secret).update(scope).update("\u0000").update(body).digest();
  }
}
