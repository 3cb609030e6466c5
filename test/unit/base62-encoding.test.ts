import { describe, expect, it } from "vitest";
import { BASE62, encodeBase62, isBase62, randomBase62 } from "../../src/keys/base62.js";
import { decodeBase62 } from "./support/reference-codecs.js";

describe("base62 alphabet", () => {
  it("is digits, then upper case, then lower case, each once", () => {
    expect(BASE62).toBe("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    expect(new Set(BASE62).size).toBe(62);
  });
});

describe("encodeBase62", () => {
  it.each([
    [0, 6, "000000"],
    [1, 6, "000001"],
    [9, 1, "9"],
    [10, 1, "A"],
    [35, 1, "Z"],
    [36, 1, "a"],
    [61, 1, "z"],
    [62, 2, "10"],
    [62 * 62 - 1, 2, "zz"],
    [62 * 62, 3, "100"],
    [0xffffffff, 6, "4gfFC3"],
  ])("writes %d at width %d as %s", (value, width, expected) => {
    expect(encodeBase62(value, width)).toBe(expected);
  });

  it("puts the most significant digit first", () => {
    // 1 * 62 + 2: a least-significant-first encoder would write "21".
    expect(encodeBase62(64, 2)).toBe("12");
  });

  it("left-pads with 0 and never truncates a value wider than the width", () => {
    expect(encodeBase62(61, 4)).toBe("000z");
    expect(encodeBase62(62 * 62, 2)).toBe("100");
  });

  it("round-trips through an independent decoder", () => {
    for (const value of [0, 1, 61, 62, 3843, 3844, 1_000_000, 2 ** 31, 2 ** 32 - 1]) {
      const text = encodeBase62(value, 6);
      expect(text).toHaveLength(6);
      expect(decodeBase62(text)).toBe(value);
    }
  });
});

describe("isBase62", () => {
  it("accepts every alphabet character and the empty string", () => {
    expect(isBase62(BASE62)).toBe(true);
    expect(isBase62("")).toBe(true);
  });

  it.each(["_", "-", "+", "/", "=", " ", ".", "é", "Ａ", "😀", "\u0000", "\u007f", "abc!"])(
    "rejects %j",
    (text) => {
      expect(isBase62(text)).toBe(false);
    },
  );

  it("rejects characters whose code unit is beyond the ASCII lookup table", () => {
    // 0x130 mod 256 would alias "0" in a byte-indexed table; it must still be refused.
    expect(isBase62(String.fromCharCode(0x130))).toBe(false);
    expect(isBase62(String.fromCharCode(0x30 + 0x100))).toBe(false);
  });
});

describe("randomBase62", () => {
  it("returns exactly the length asked, in the alphabet", () => {
    for (const length of [0, 1, 7, 43, 200, 1000]) {
      const text = randomBase62(length);
      expect(text).toHaveLength(length);
      expect(isBase62(text)).toBe(true);
    }
  });

  it("does not repeat itself", () => {
    const seen = new Set(Array.from({ length: 1000 }, () => randomBase62(43)));
    expect(seen.size).toBe(1000);
  });
});
