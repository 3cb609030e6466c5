import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { digestsEqual, KeyHasher, makePepper } from "../../src/keys/hasher.js";

const SECRET_A = Buffer.alloc(32, 0xa1);
const SECRET_B = Buffer.alloc(32, 0xb2);
const SECRET_C = Buffer.alloc(48, 0xc3);
// Test-only credential-shaped strings; the hasher does not care whether they parse.
const KEY = "sk_test_hasherFixture0000000000000000000000000000000";

function expectedHmac(secret: Buffer, key: string): Buffer {
  return createHmac("sha256", secret).update(Buffer.from(key, "utf8")).digest();
}

describe("makePepper", () => {
  it("derives the same short id from the same secret", () => {
    expect(makePepper(SECRET_A).id).toBe(makePepper(Buffer.from(SECRET_A)).id);
    expect(makePepper(SECRET_A).id).toMatch(/^[0-9a-f]{8}$/);
  });

  it("gives different secrets different ids", () => {
    const ids = new Set([SECRET_A, SECRET_B, SECRET_C].map((s) => makePepper(s).id));
    expect(ids.size).toBe(3);
  });

  it("never reveals the secret in the id", () => {
    const secret = Buffer.from("0123456789abcdef0123456789abcdef");
    const { id } = makePepper(secret);
    expect(secret.toString("hex")).not.toContain(id);
    expect(secret.toString("utf8")).not.toContain(id);
    expect(secret.toString("base64")).not.toContain(id);
    // The id is a keyed hash of a fixed label, not a hash of the secret an attacker could look up.
    expect(id).toBe(createHmac("sha256", secret).update("keyward pepper id").digest("hex").slice(0, 8));
  });

  it("keeps the secret bytes it was given", () => {
    expect(makePepper(SECRET_B).secret.equals(SECRET_B)).toBe(true);
  });
});

describe("KeyHasher", () => {
  it("refuses to exist without a pepper", () => {
    expect(() => new KeyHasher([])).toThrow(/at least one pepper/);
  });

  it("digests a key as HMAC-SHA256(pepper, key) under the current pepper", () => {
    const hasher = new KeyHasher([makePepper(SECRET_A), makePepper(SECRET_B)]);
    const digest = hasher.digest(KEY);
    expect(digest.hash.equals(expectedHmac(SECRET_A, KEY))).toBe(true);
    expect(digest.hash).toHaveLength(32);
    expect(digest.pepperId).toBe(makePepper(SECRET_A).id);
    expect(hasher.current.id).toBe(makePepper(SECRET_A).id);
  });

  it("hashes the UTF-8 bytes of the key", () => {
    const hasher = new KeyHasher([makePepper(SECRET_A)]);
    const odd = "ключ_ünïcødé";
    expect(hasher.digest(odd).hash.equals(expectedHmac(SECRET_A, odd))).toBe(true);
  });

  it("is deterministic and sensitive to every character", () => {
    const hasher = new KeyHasher([makePepper(SECRET_A)]);
    expect(hasher.digest(KEY).hash.equals(hasher.digest(KEY).hash)).toBe(true);
    const other = `${KEY.slice(0, -1)}1`;
    expect(hasher.digest(other).hash.equals(hasher.digest(KEY).hash)).toBe(false);
  });

  it("gives one candidate per pepper, current first, each with its pepper id", () => {
    const peppers = [makePepper(SECRET_C), makePepper(SECRET_A), makePepper(SECRET_B)];
    const candidates = new KeyHasher(peppers).candidates(KEY);
    expect(candidates.map((c) => c.pepperId)).toEqual(peppers.map((p) => p.id));
    expect(candidates.map((c) => c.hash.toString("hex"))).toEqual(
      [SECRET_C, SECRET_A, SECRET_B].map((s) => expectedHmac(s, KEY).toString("hex")),
    );
    expect(candidates[0]).toEqual(new KeyHasher(peppers).digest(KEY));
  });

  it("makes different digests under different peppers", () => {
    const a = new KeyHasher([makePepper(SECRET_A)]).digest(KEY);
    const b = new KeyHasher([makePepper(SECRET_B)]).digest(KEY);
    expect(a.hash.equals(b.hash)).toBe(false);
  });
});

describe("KeyHasher.cacheKey", () => {
  const hasher = new KeyHasher([makePepper(SECRET_A)]);

  it("names a key by its SHA-256, never by the key itself", () => {
    const name = hasher.cacheKey(KEY);
    expect(name).toBe(createHash("sha256").update(KEY, "utf8").digest("base64"));
    expect(name).not.toContain(KEY.slice(8, 20));
  });

  it("tells keys that differ in one character apart", () => {
    const other = `${KEY.slice(0, -1)}1`;
    expect(hasher.cacheKey(other)).not.toBe(hasher.cacheKey(KEY));
  });

  it("is not the stored digest, so a cache name cannot be matched against a database row", () => {
    expect(Buffer.from(hasher.cacheKey(KEY), "base64").equals(hasher.digest(KEY).hash)).toBe(false);
  });
});

describe("digestsEqual", () => {
  const digest = expectedHmac(SECRET_A, KEY);

  it("is true for equal bytes in different buffers", () => {
    expect(digestsEqual(digest, Buffer.from(digest))).toBe(true);
    expect(digestsEqual(new Uint8Array(digest), digest)).toBe(true);
  });

  it("is false when any one byte differs", () => {
    for (let i = 0; i < digest.length; i++) {
      const other = Buffer.from(digest);
      other[i] = (other[i] as number) ^ 0x01;
      expect(digestsEqual(digest, other)).toBe(false);
    }
  });

  it("is false, without throwing, for different lengths", () => {
    expect(digestsEqual(digest, digest.subarray(0, 31))).toBe(false);
    expect(digestsEqual(digest, Buffer.alloc(0))).toBe(false);
    expect(digestsEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });
});
