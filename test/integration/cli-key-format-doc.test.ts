import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE62 } from "../../src/keys/base62.js";
import { crc32 } from "../../src/keys/crc32.js";
import { checksum, generateKey } from "../../src/keys/format.js";
import { KEY_PATTERN, ROOT } from "../helpers/cli.js";

// docs/key-format.md is what secret-scanner authors build on: its reference code, test vector, arithmetic
// and patterns must agree with the keys Keyward actually mints.

const doc = readFileSync(join(ROOT, "docs/key-format.md"), "utf8");
const VECTOR = "example_test_ThisIsAnExampleKeyBodyForDocs000000000000002WvQl4";

/** The fenced blocks of the doc, by language tag. */
function blocks(lang: string): string[] {
  return [...doc.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] as string);
}

/** Changes the character at `i` to another one of the same class, so the key keeps its shape. */
function mutate(key: string, i: number): string {
  const ch = key[i] as string;
  const next = BASE62[(BASE62.indexOf(ch) + 1 + Math.floor(Math.random() * 60)) % 62] as string;
  return key.slice(0, i) + next + key.slice(i + 1);
}

describe("docs/key-format.md", () => {
  let isKeywardKey: (candidate: string) => boolean;

  beforeAll(async () => {
    const [code] = blocks("js");
    expect(code).toBeDefined();
    const source = `${code}\nexport { isKeywardKey };\n`;
    const module = await import(`data:text/javascript,${encodeURIComponent(source)}`);
    isKeywardKey = module.isKeywardKey;
  });

  it("documents the alphabet Keyward writes keys in, in the same order", () => {
    expect(doc).toContain(`\n${BASE62}\n`);
    expect(doc).toContain(`const ALPHABET = "${BASE62}"`);
  });

  it("gives a test vector whose arithmetic matches Keyward's checksum", () => {
    expect(VECTOR).toMatch(KEY_PATTERN);
    expect(doc).toContain(VECTOR);
    const head = VECTOR.slice(0, -6);
    expect(checksum(head)).toBe("2WvQl4");
    expect(crc32(head)).toBe(2318795974);
    expect(doc).toContain("2318795974 (`0x8A3604C6`)");
    expect(crc32(head).toString(16).toUpperCase()).toBe("8A3604C6");
  });

  it("has reference code that accepts every key Keyward mints", () => {
    expect(isKeywardKey(VECTOR)).toBe(true);
    for (let i = 0; i < 200; i++) {
      const key = generateKey(i % 3 === 0 ? "acme2" : "sk", i % 2 === 0 ? "live" : "test");
      expect(isKeywardKey(key), key).toBe(true);
    }
  });

  it("has reference code that rejects any one changed character, and wrong shapes", () => {
    expect(isKeywardKey(`${VECTOR.slice(0, -1)}h`)).toBe(false);
    for (let i = 0; i < 100; i++) {
      const key = generateKey("sk", "live");
      const at = "sk_live_".length + Math.floor(Math.random() * 49);
      expect(isKeywardKey(mutate(key, at)), key).toBe(false);
    }
    const key = generateKey("sk", "live");
    expect(isKeywardKey(key.replace("_live_", "_prod_"))).toBe(false);
    expect(isKeywardKey(key.slice(0, -1))).toBe(false);
    expect(isKeywardKey(`${key}0`)).toBe(false);
    expect(isKeywardKey(` ${key}`)).toBe(false);
  });

  it("has patterns that find keys in text but not inside longer tokens", () => {
    const [simple, anchored] = blocks("").filter(
      (b) => b.includes("(live|test)") || b.includes("(?:live|test)"),
    );
    expect(simple?.trim()).toBe("[a-z0-9]+_(live|test)_[0-9A-Za-z]{49}");
    const find = new RegExp((anchored as string).trim(), "g");
    const a = generateKey("sk", "live");
    const b = generateKey("acme", "test");
    const text = `export KEY=${a}\n{"token":"${b}"} x${a}y sk_live_${"A".repeat(60)}`;
    expect([...text.matchAll(find)].map((m) => m[0])).toEqual([a, b]);
  });
});
