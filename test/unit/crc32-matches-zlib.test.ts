import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/keys/crc32.js";
import { referenceCrc32 } from "./support/reference-codecs.js";

// zlib.crc32 arrived in Node 20.15; older Node 20 releases only have the bitwise reference to compare with.
const zlibCrc32 = (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32;

describe("crc32", () => {
  it("gives the standard check value for 123456789", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(referenceCrc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("is zero for the empty string", () => {
    expect(crc32("")).toBe(0);
  });

  it.each([
    ["a", 0xe8b7be43],
    ["abc", 0x352441c2],
    ["The quick brown fox jumps over the lazy dog", 0x414fa339],
  ])("matches the published value for %j", (input, expected) => {
    expect(crc32(input)).toBe(expected);
  });

  it("hashes the UTF-8 bytes of non-ASCII text", () => {
    const text = "clé_ünïcødé_😀";
    expect(crc32(text)).toBe(referenceCrc32(Buffer.from(text, "utf8")));
    // The UTF-16 code units would give another value: the encoding matters.
    expect(crc32(text)).not.toBe(referenceCrc32(Buffer.from(text, "utf16le")));
  });

  it("agrees with the bitwise reference and zlib on random inputs", () => {
    for (let i = 0; i < 500; i++) {
      const text = randomBytes(1 + (i % 80)).toString("base64");
      const expected = referenceCrc32(Buffer.from(text));
      expect(crc32(text)).toBe(expected);
      if (zlibCrc32) expect(zlibCrc32(text) >>> 0).toBe(expected);
    }
  });

  it("always returns an unsigned 32-bit integer", () => {
    for (let i = 0; i < 200; i++) {
      const value = crc32(randomBytes(16).toString("hex"));
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(0xffffffff);
    }
  });
});
