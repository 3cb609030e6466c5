import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deniedHeaders,
  deniedHttpStatus,
  EnvoyClient,
  outcomeCode,
  wellFormedKey,
  withBrokenChecksum,
} from "../helpers/envoy-client.js";
import { keyLookups } from "../helpers/key-lookups.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const ATTACKER = "198.51.100.66";
const NEIGHBOUR = "198.51.100.77";

/** Database lookups and throttled refusals so far. */
async function counts(t: TestApp): Promise<{ query: number; throttled: number }> {
  const { query, throttled } = await keyLookups(t.adminUrl);
  return { query, throttled };
}

describe("the budget of unknown keys per source address", () => {
  const clock = { now: Date.now() };
  let t: TestApp;
  let envoy: EnvoyClient;
  const check = (credential: string, sourceIp: string) =>
    envoy.check({ sourceIp, headers: { authorization: `Bearer ${credential}` } });

  beforeAll(async () => {
    // 3 a minute, and 3 more as a burst: a source may cause 6 lookups of unknown keys at once.
    t = await startTestApp({ now: () => clock.now, env: { KEYWARD_UNKNOWN_KEY_LIMIT: "3/1m" } });
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  it("looks up a source's unknown keys until its budget is spent, then answers 429 without a query", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    expect(outcomeCode(await check(secret, ATTACKER))).toBe("allow");
    const before = await counts(t);
    const unknown = Array.from({ length: 6 }, () => wellFormedKey());
    for (const key of unknown) expect(outcomeCode(await check(key, ATTACKER))).toBe("invalid_key");
    expect((await counts(t)).query - before.query).toBe(6);

    const refused = await check(wellFormedKey(), ATTACKER);
    expect(outcomeCode(refused)).toBe("rate_limited");
    expect(deniedHttpStatus(refused)).toBe(429);
    const headers = deniedHeaders(refused);
    expect(Number(headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(headers["retry-after"])).toBeLessThanOrEqual(20);
    expect(headers["ratelimit-policy"]).toBe('"unknown-keys";q=3;w=60');
    expect(headers.ratelimit).toMatch(/^"unknown-keys";r=0;t=\d+$/);
    const after = await counts(t);
    expect(after.query - before.query).toBe(6);
    expect(after.throttled - before.throttled).toBe(1);

    // What needs no query is answered as before: a cached key, a remembered unknown key, a broken checksum.
    expect(outcomeCode(await check(secret, ATTACKER))).toBe("allow");
    expect(outcomeCode(await check(unknown[0] as string, ATTACKER))).toBe("invalid_key");
    expect(outcomeCode(await check(withBrokenChecksum(wellFormedKey()), ATTACKER))).toBe("malformed_key");
    // Another source keeps its own budget.
    expect(outcomeCode(await check(wellFormedKey(), NEIGHBOUR))).toBe("invalid_key");
    expect((await counts(t)).query - before.query).toBe(7);
  });

  it("refuses even a valid key the source has not been served yet, until the budget refills", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    expect(outcomeCode(await check(secret, ATTACKER))).toBe("rate_limited");
    clock.now += 20_000; // one lookup's worth at 3 a minute
    // A lookup that finds a key costs the source nothing: the refilled lookup is still there afterwards.
    expect(outcomeCode(await check(secret, ATTACKER))).toBe("allow");
    expect(outcomeCode(await check(wellFormedKey(), ATTACKER))).toBe("invalid_key");
    expect(outcomeCode(await check(wellFormedKey(), ATTACKER))).toBe("rate_limited");
  });
});

describe("KEYWARD_UNKNOWN_KEY_LIMIT=off", () => {
  let t: TestApp;
  let envoy: EnvoyClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_UNKNOWN_KEY_LIMIT: "off" } });
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  it("looks up every unknown key", async () => {
    const before = await counts(t);
    for (let i = 0; i < 30; i++) {
      const res = await envoy.check({
        sourceIp: ATTACKER,
        headers: { authorization: `Bearer ${wellFormedKey()}` },
      });
      expect(outcomeCode(res)).toBe("invalid_key");
    }
    const after = await counts(t);
    expect(after.query - before.query).toBe(30);
    expect(after.throttled - before.throttled).toBe(0);
  });
});
