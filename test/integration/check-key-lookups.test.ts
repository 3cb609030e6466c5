import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyClient, outcomeCode, wellFormedKey, withBrokenChecksum } from "../helpers/envoy-client.js";
import { type KeyLookups, keyLookups, lookupDelta } from "../helpers/key-lookups.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/** How the lookup counters moved while `run` ran. */
async function delta(t: TestApp, run: () => Promise<void>): Promise<KeyLookups> {
  const before = await keyLookups(t.adminUrl);
  await run();
  return lookupDelta(before, await keyLookups(t.adminUrl));
}

describe("how Check resolves a credential", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  const check = async (credential: string) =>
    outcomeCode(await envoy.check({ headers: { authorization: `Bearer ${credential}` } }));

  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
    // The cache serves only while the change feed is connected; wait until a repeat is a hit.
    const { secret } = await t.mintKey({ companyId: "warm" });
    const deadline = Date.now() + 10_000;
    while ((await delta(t, async () => void (await check(secret)))).hit !== 1) {
      if (Date.now() > deadline) throw new Error("the key cache never served a hit");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  it("looks a valid key up once, then answers it from the cache", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    const first = await delta(t, async () => expect(await check(secret)).toBe("allow"));
    expect(first).toEqual({ malformed: 0, hit: 0, negative_hit: 0, query: 1, throttled: 0, stale: 0 });
    const next = await delta(t, async () => {
      for (let i = 0; i < 20; i++) expect(await check(secret)).toBe("allow");
    });
    expect(next).toEqual({ malformed: 0, hit: 20, negative_hit: 0, query: 0, throttled: 0, stale: 0 });
  });

  it("refuses a cached key's string with a broken checksum offline: no hit, no query", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    expect(await check(secret)).toBe("allow");
    const broken = withBrokenChecksum(secret);
    const d = await delta(t, async () => {
      for (let i = 0; i < 5; i++) expect(await check(broken)).toBe("malformed_key");
    });
    expect(d).toEqual({ malformed: 5, hit: 0, negative_hit: 0, query: 0, throttled: 0, stale: 0 });
  });

  it("costs no query for a flood of broken checksums, wrong lengths and other prefixes", async () => {
    const d = await delta(t, async () => {
      const credentials = [
        ...Array.from({ length: 30 }, () => withBrokenChecksum(wellFormedKey())),
        ...Array.from({ length: 10 }, () => wellFormedKey().slice(1)),
        ...Array.from({ length: 10 }, () => `${wellFormedKey()}A`),
        ...Array.from({ length: 10 }, () => wellFormedKey("live", "pk")),
      ];
      const codes = await Promise.all(credentials.map(check));
      expect(new Set(codes)).toEqual(new Set(["malformed_key"]));
    });
    expect(d).toEqual({ malformed: 60, hit: 0, negative_hit: 0, query: 0, throttled: 0, stale: 0 });
  });

  it("costs one query for an unknown well-formed key, then none while it is remembered", async () => {
    const unknown = wellFormedKey();
    const first = await delta(t, async () => expect(await check(unknown)).toBe("invalid_key"));
    expect(first).toEqual({ malformed: 0, hit: 0, negative_hit: 0, query: 1, throttled: 0, stale: 0 });
    const again = await delta(t, async () => {
      for (let i = 0; i < 5; i++) expect(await check(unknown)).toBe("invalid_key");
    });
    expect(again).toEqual({ malformed: 0, hit: 0, negative_hit: 5, query: 0, throttled: 0, stale: 0 });
  });

  it("shares one query among concurrent Checks of the same uncached key", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    const d = await delta(t, async () => {
      const codes = await Promise.all(Array.from({ length: 16 }, () => check(secret)));
      expect(new Set(codes)).toEqual(new Set(["allow"]));
    });
    expect(d.query).toBe(1);
  });
});
