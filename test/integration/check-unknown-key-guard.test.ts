import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, rpcError } from "../helpers/admin-clients.js";
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
async function counts(t: TestApp, metric?: string): Promise<{ query: number; throttled: number }> {
  const { query, throttled } = await keyLookups(t.adminUrl, metric);
  return { query, throttled };
}

/** Admin-key lookups are counted apart from the Check path's. */
const ADMIN_LOOKUPS = "keyward_admin_key_lookups_total";

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

describe("the budget counts the parsed address, on both listeners", () => {
  const clock = { now: Date.now() };
  let t: TestApp;
  let envoy: EnvoyClient;
  let clients: AdminClients;
  const unknownFrom = async (sourceIp: string) =>
    outcomeCode(await envoy.check({ sourceIp, headers: { authorization: `Bearer ${wellFormedKey()}` } }));

  beforeAll(async () => {
    // 2 a minute and a burst of 2: four lookups of unknown keys per source, then 429.
    t = await startTestApp({ now: () => clock.now, env: { KEYWARD_UNKNOWN_KEY_LIMIT: "2/1m" } });
    envoy = new EnvoyClient(t.authzAddress);
    clients = new AdminClients(t.adminUrl);
  });
  afterAll(async () => {
    envoy.close();
    clients.close();
    await t.close();
  });

  it("IPv6: every address of a /64 spends one budget; the next /64 has its own", async () => {
    for (const a of ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:2:1:2:3:4"]) {
      expect(await unknownFrom(a), a).toBe("invalid_key");
    }
    expect(await unknownFrom("2001:db8:1:2:abcd::99")).toBe("rate_limited");
    expect(await unknownFrom("2001:DB8:1:2::5")).toBe("rate_limited");
    expect(await unknownFrom("2001:db8:1:3::1")).toBe("invalid_key");
  });

  it("zone ids are dropped: fe80::1%a and fe80::2%b are one source", async () => {
    for (let i = 1; i <= 4; i++) expect(await unknownFrom(`fe80::${i}%zone${i}`)).toBe("invalid_key");
    expect(await unknownFrom(`fe80::9%${"z".repeat(200)}`)).toBe("rate_limited");
  });

  it("an IPv4-mapped IPv6 address is its IPv4 address", async () => {
    for (let i = 0; i < 4; i++) expect(await unknownFrom("198.51.100.90")).toBe("invalid_key");
    expect(await unknownFrom("::ffff:198.51.100.90")).toBe("rate_limited");
    expect(await unknownFrom("::ffff:c633:645a")).toBe("rate_limited");
  });

  it("unknown admin keys spend the caller's budget too: then RESOURCE_EXHAUSTED without a query", async () => {
    const before = await counts(t, ADMIN_LOOKUPS);
    for (let i = 0; i < 4; i++) {
      const err = await rpcError(clients.client("connect-json-http1", wellFormedKey()).listKeys({}));
      expect(err.code).toBe(Code.Unauthenticated);
    }
    const err = await rpcError(clients.client("connect-json-http1", wellFormedKey()).listKeys({}));
    expect(err.code).toBe(Code.ResourceExhausted);
    const after = await counts(t, ADMIN_LOOKUPS);
    expect(after.query - before.query).toBe(4);
    expect(after.throttled - before.throttled).toBe(1);
  });
});
