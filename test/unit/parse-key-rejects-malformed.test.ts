import { describe, expect, it } from "vitest";
import { BASE62 } from "../../src/keys/base62.js";
import { checksum, generateKey, keyHint, MAX_KEY_LENGTH, parseKey } from "../../src/keys/format.js";

/** A key with any head (even an invalid one) and its correct checksum: only the head can be at fault. */
function withChecksum(head: string): string {
  return head + checksum(head);
}

const BODY = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";
const VALID = withChecksum(`sk_live_${BODY}`);

describe("parseKey accepts", () => {
  it("a well-formed key with the expected prefix", () => {
    expect(parseKey(VALID, "sk")).toEqual({ prefix: "sk", environment: "live", last4: VALID.slice(-4) });
  });

  it("test keys as well as live ones", () => {
    const key = withChecksum(`sk_test_${BODY}`);
    expect(parseKey(key, "sk")).toEqual({ prefix: "sk", environment: "test", last4: key.slice(-4) });
  });

  it("and gives a display hint with prefix, environment and the last four characters only", () => {
    const parsed = parseKey(VALID, "sk");
    if (parsed === "malformed") throw new Error("expected a parsed key");
    expect(keyHint(parsed)).toBe(`sk_live_…${VALID.slice(-4)}`);
    expect(keyHint(parsed)).not.toContain(BODY.slice(0, 8));
  });
});

describe("parseKey rejects", () => {
  it.each([
    ["another prefix", "pk"],
    ["a longer prefix", "skk"],
    ["a shorter prefix", "s"],
    ["an upper-case prefix", "SK"],
  ])("a key under %s", (_, expected) => {
    expect(parseKey(VALID, expected)).toBe("malformed");
  });

  it.each(["prod", "LIVE", "Live", "tes", "lives", "", "dev"])("environment %j", (env) => {
    expect(parseKey(withChecksum(`sk_${env}_${BODY}`), "sk")).toBe("malformed");
  });

  it.each([0, 1, 42, 44, 60])("a body of %d characters", (length) => {
    const body = BODY.repeat(2).slice(0, length);
    expect(parseKey(withChecksum(`sk_live_${body}`), "sk")).toBe("malformed");
  });

  it.each(["-", "_", "+", "/", "=", " ", "é", "😀", "\u0000"])("a body containing %j", (bad) => {
    const body = `${BODY.slice(0, 20)}${bad}${BODY.slice(20 + bad.length)}`;
    expect(parseKey(withChecksum(`sk_live_${body}`), "sk")).toBe("malformed");
  });

  it("a checksum with one character flipped", () => {
    const last = VALID.at(-1) as string;
    const flipped = VALID.slice(0, -1) + (last === "0" ? "1" : "0");
    expect(parseKey(flipped, "sk")).toBe("malformed");
  });

  it("a checksum in another case", () => {
    const swapped = VALID.slice(0, -6) + [...VALID.slice(-6)].map(swapCase).join("");
    expect(swapped).not.toBe(VALID);
    expect(parseKey(swapped, "sk")).toBe("malformed");
    expect(parseKey(`${VALID.slice(0, -6)}${"zzzzzz"}`, "sk")).toBe("malformed");
  });

  it.each([
    ["the empty string", ""],
    ["an underscore", "_"],
    ["separators only", "sk__"],
    ["a bare head", "sk_live_"],
    ["no separators", `sklive${BODY}`],
    ["a missing prefix", VALID.slice(2)],
    ["leading space", ` ${VALID}`],
    ["trailing space", `${VALID} `],
    ["trailing newline", `${VALID}\n`],
    ["a Bearer scheme", `Bearer ${VALID}`],
    ["the key twice", VALID + VALID],
  ])("%s", (_, text) => {
    expect(parseKey(text, "sk")).toBe("malformed");
  });

  it("oversized input without looking at it further", () => {
    expect(parseKey("a".repeat(1_000_000), "sk")).toBe("malformed");
    expect(parseKey(`${VALID}${"0".repeat(MAX_KEY_LENGTH)}`, "sk")).toBe("malformed");
    expect(parseKey(`sk_live_${"0".repeat(MAX_KEY_LENGTH)}`, "sk")).toBe("malformed");
  });
});

describe("parseKey under every single-character edit", () => {
  const REPLACEMENTS = [...BASE62, "_", "-", " ", ".", "é", "\u0000"];
  const keys = [VALID, generateKey("sk", "live"), generateKey("sk", "test")];

  it("rejects every substitution at every position", () => {
    let tried = 0;
    for (const key of keys) {
      for (let i = 0; i < key.length; i++) {
        for (const ch of REPLACEMENTS) {
          if (ch === key[i]) continue;
          const mutated = key.slice(0, i) + ch + key.slice(i + 1);
          if (parseKey(mutated, "sk") !== "malformed") throw new Error(`accepted ${JSON.stringify(mutated)}`);
          tried++;
        }
      }
    }
    expect(tried).toBeGreaterThan(3 * 57 * 60);
  });

  it("rejects every deletion, insertion and adjacent swap", () => {
    for (const key of keys) {
      for (let i = 0; i < key.length; i++) {
        expect(parseKey(key.slice(0, i) + key.slice(i + 1), "sk")).toBe("malformed");
        expect(parseKey(`${key.slice(0, i)}0${key.slice(i)}`, "sk")).toBe("malformed");
        const a = key[i] as string;
        const b = key[i + 1];
        if (b !== undefined && a !== b) {
          expect(parseKey(key.slice(0, i) + b + a + key.slice(i + 2), "sk")).toBe("malformed");
        }
      }
    }
  });
});

function swapCase(ch: string): string {
  return ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
}
