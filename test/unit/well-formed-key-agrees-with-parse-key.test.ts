import { describe, expect, it } from "vitest";
import { generateKey, isWellFormedKey, parseKey } from "../../src/keys/format.js";

/** The Check path's allocation-free shape check must give parseKey's verdict on every input. */
describe("isWellFormedKey", () => {
  const verdict = (k: string, prefix = "sk") => parseKey(k, prefix) !== "malformed";

  it("accepts every generated key, in both environments and other prefixes", () => {
    for (let i = 0; i < 500; i++) {
      const k = generateKey(i % 3 === 0 ? "rk9" : "sk", i % 2 ? "live" : "test");
      expect(isWellFormedKey(k, i % 3 === 0 ? "rk9" : "sk")).toBe(true);
    }
  });

  it("agrees with parseKey on every single-character change of a key", () => {
    const k = generateKey("sk", "live");
    for (let pos = 0; pos < k.length; pos++) {
      for (const ch of ["0", "A", "z", "_", "-", "é", " "]) {
        const m = k.slice(0, pos) + ch + k.slice(pos + 1);
        expect(isWellFormedKey(m, "sk"), m).toBe(verdict(m));
      }
    }
  });

  it("refuses wrong lengths, prefixes and environments", () => {
    const k = generateKey("sk", "test");
    for (const m of [
      "",
      k.slice(1),
      `${k}x`,
      k.replace("sk_", "rk_"),
      k.replace("_test_", "_prod_"),
      k.toUpperCase(),
    ]) {
      expect(isWellFormedKey(m, "sk")).toBe(false);
      expect(verdict(m)).toBe(false);
    }
  });
});
