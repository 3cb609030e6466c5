import { describe, expect, it } from "vitest";
import { BASE62 } from "../../src/keys/base62.js";
import {
  BODY_LENGTH,
  CHECKSUM_LENGTH,
  checksum,
  type Environment,
  generateKey,
  MAX_KEY_LENGTH,
  parseKey,
} from "../../src/keys/format.js";
import { decodeBase62, referenceCrc32 } from "./support/reference-codecs.js";

const SCANNER_PATTERN = /^[a-z][a-z0-9]{0,15}_(live|test)_[0-9A-Za-z]{49}$/;
const PREFIXES = ["sk", "a", "x9", "abcdefghijklmnop"];
const ENVIRONMENTS: Environment[] = ["live", "test"];

describe("generateKey", () => {
  it.each(PREFIXES.flatMap((p) => ENVIRONMENTS.map((e) => [p, e] as const)))(
    "mints %s/%s keys a secret scanner can match",
    (prefix, environment) => {
      for (let i = 0; i < 50; i++) {
        const key = generateKey(prefix, environment);
        expect(key).toMatch(SCANNER_PATTERN);
        expect(key.startsWith(`${prefix}_${environment}_`)).toBe(true);
        expect(key.length).toBe(prefix.length + environment.length + 2 + BODY_LENGTH + CHECKSUM_LENGTH);
      }
    },
  );

  it("ends with the base62 CRC-32 of everything before it, computed independently", () => {
    for (let i = 0; i < 300; i++) {
      const key = generateKey("sk", i % 2 ? "live" : "test");
      const head = key.slice(0, -CHECKSUM_LENGTH);
      const written = key.slice(-CHECKSUM_LENGTH);
      expect(decodeBase62(written)).toBe(referenceCrc32(Buffer.from(head, "utf8")));
      expect(checksum(head)).toBe(written);
    }
  });

  it("produces keys that parse back with their prefix, environment and last four characters", () => {
    const key = generateKey("acme", "test");
    expect(parseKey(key, "acme")).toEqual({ prefix: "acme", environment: "test", last4: key.slice(-4) });
  });

  it("fits the longest allowed prefix exactly within the parse limit", () => {
    const key = generateKey("abcdefghijklmnop", "test");
    expect(key).toHaveLength(MAX_KEY_LENGTH);
    expect(parseKey(key, "abcdefghijklmnop")).not.toBe("malformed");
  });

  it("never mints the same key twice", () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateKey("sk", "live")));
    expect(keys.size).toBe(2000);
  });
});

/** Pearson's statistic for `counts` against a uniform expectation. */
function chiSquare(counts: Map<string, number>, total: number): number {
  const expected = total / BASE62.length;
  let sum = 0;
  for (const ch of BASE62) sum += ((counts.get(ch) ?? 0) - expected) ** 2 / expected;
  return sum;
}

function tally(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return counts;
}

describe("key body randomness", () => {
  // With 61 degrees of freedom the statistic averages 61 with a spread of about 11; 200 is over twelve spreads
  // away (p < 1e-15), yet a plain `byte % 62` sampler, which favours 0-7 by a quarter, scores above 1000 here.
  const BOUND = 200;
  const bodies = Array.from({ length: 4000 }, () => generateKey("sk", "live").slice(8, 8 + BODY_LENGTH));

  it("draws every alphabet character about equally often over all positions", () => {
    const counts = tally(bodies);
    const total = bodies.length * BODY_LENGTH;
    expect(counts.size).toBe(62);
    expect(chiSquare(counts, total)).toBeLessThan(BOUND);
    const expected = total / 62;
    for (const ch of BASE62) {
      expect(counts.get(ch)).toBeGreaterThan(expected * 0.85);
      expect(counts.get(ch)).toBeLessThan(expected * 1.15);
    }
  });

  it.each([0, 21, BODY_LENGTH - 1])("is uniform at body position %d too", (position) => {
    const column = bodies.map((b) => b[position] as string);
    expect(chiSquare(tally(column), column.length)).toBeLessThan(BOUND);
  });
});
