import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PageTokens } from "../../src/rpc/page-token.js";

const PEPPER = Buffer.alloc(32, 0x42);
const tokens = new PageTokens(PEPPER);
const SCOPE = "list-keys|company=acme|status=active";
const POSITION = ["2030-01-01T00:00:00.000Z", "key_01HZX"];
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A token signed the way PageTokens signs, for bodies `encode` would never produce. */
function signedWithServerSecret(scope: string, body: string): string {
  const secret = createHmac("sha256", PEPPER).update("keyward page tokens").digest();
  const mac = createHmac("sha256", secret).update(scope).update("\u0000").update(body).digest("base64url");
  return `${body}.${mac}`;
}

describe("page tokens", () => {
  it("round-trip the position for the same scope", () => {
    for (const position of [POSITION, [], [""], ["ünïcødé", "with.dot", 'quote"'], ["a".repeat(300)]]) {
      expect(tokens.decode(SCOPE, tokens.encode(SCOPE, position))).toEqual(position);
    }
  });

  it("are URL-safe and opaque", () => {
    const token = tokens.encode(SCOPE, POSITION);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(token).not.toContain("key_01HZX");
  });

  it("decode with another instance built from the same pepper", () => {
    expect(new PageTokens(Buffer.from(PEPPER)).decode(SCOPE, tokens.encode(SCOPE, POSITION))).toEqual(
      POSITION,
    );
  });

  it("are refused under another scope or another pepper", () => {
    const token = tokens.encode(SCOPE, POSITION);
    expect(tokens.decode("list-keys|company=globex|status=active", token)).toBeUndefined();
    expect(tokens.decode(`${SCOPE} `, token)).toBeUndefined();
    expect(tokens.decode("", token)).toBeUndefined();
    expect(new PageTokens(Buffer.alloc(32, 0x43)).decode(SCOPE, token)).toBeUndefined();
  });

  it("keep scope and body apart, so moving text between them does not verify", () => {
    const token = tokens.encode("ab", ["x"]);
    const [body, mac] = token.split(".") as [string, string];
    expect(tokens.decode("a", `b${body}.${mac}`)).toBeUndefined();
  });

  it("are refused when any one character is changed", () => {
    const token = tokens.encode(SCOPE, POSITION);
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const ch of `${BASE64URL}.=+/!`) {
        if (ch === token[i]) continue;
        const tampered = token.slice(0, i) + ch + token.slice(i + 1);
        if (tokens.decode(SCOPE, tampered) !== undefined)
          throw new Error(`accepted ${tampered} (position ${i})`);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(token.length * 60);
  });

  it("are refused with a character added or removed anywhere", () => {
    const token = tokens.encode(SCOPE, POSITION);
    for (let i = 0; i <= token.length; i++) {
      for (const ch of ["A", "=", "!", " ", "\n"]) {
        expect(tokens.decode(SCOPE, token.slice(0, i) + ch + token.slice(i))).toBeUndefined();
      }
      if (i < token.length)
        expect(tokens.decode(SCOPE, token.slice(0, i) + token.slice(i + 1))).toBeUndefined();
    }
  });

  it.each(["", ".", "a.", ".b", "a.b", "a.b.c", "!!!.!!!", "not a token", "eyJ9.eyJ9"])(
    "refuse garbage %j",
    (garbage) => {
      expect(tokens.decode(SCOPE, garbage)).toBeUndefined();
    },
  );

  it("refuse an extra section even when the first two verify", () => {
    expect(tokens.decode(SCOPE, `${tokens.encode(SCOPE, POSITION)}.x`)).toBeUndefined();
  });

  it("refuse oversized input without verifying it", () => {
    expect(tokens.decode(SCOPE, "a".repeat(1_000_000))).toBeUndefined();
    expect(tokens.decode(SCOPE, `${"a".repeat(500_000)}.${"b".repeat(500_000)}`)).toBeUndefined();
    const long = tokens.encode(SCOPE, ["x".repeat(800)]);
    expect(long.length).toBeGreaterThan(1024);
    expect(tokens.decode(SCOPE, long)).toBeUndefined();
  });

  it("refuse a correctly signed body that is not a list of strings", () => {
    for (const body of [
      Buffer.from("not json").toString("base64url"),
      Buffer.from('{"a":"b"}').toString("base64url"),
      Buffer.from("[1,2]").toString("base64url"),
      Buffer.from('"x"').toString("base64url"),
      Buffer.from("null").toString("base64url"),
    ]) {
      expect(tokens.decode(SCOPE, signedWithServerSecret(SCOPE, body))).toBeUndefined();
    }
    const good = Buffer.from('["a"]').toString("base64url");
    expect(tokens.decode(SCOPE, signedWithServerSecret(SCOPE, good))).toEqual(["a"]);
  });
});
