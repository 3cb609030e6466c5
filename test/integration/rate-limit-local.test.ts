import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients } from "../helpers/admin-clients.js";
import {
  deniedBody,
  deniedHeaders,
  deniedHttpStatus,
  EnvoyClient,
  type EnvoyResponse,
  okHeaders,
} from "../helpers/envoy-client.js";
import { clientHeaders } from "../helpers/hot-path.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Per-replica rate limits (no Redis) on a clock the test moves: the exact budget, every header of an allow
 * and of a 429, refill, the default limit, and what does not consume budget.
 */

const MINUTE = 60_000;

describe("per-replica rate limits", () => {
  const clock = { now: Date.now() };
  let t: TestApp;
  let envoy: EnvoyClient;
  let clients: AdminClients;

  beforeAll(async () => {
    t = await startTestApp({ now: () => clock.now });
    envoy = new EnvoyClient(t.authzAddress);
    clients = new AdminClients(t.adminUrl);
  });
  afterAll(async () => {
    envoy.close();
    clients.close();
    await t.close();
  });

  const check = (secret: string, extra: Record<string, unknown> = {}) =>
    envoy.check({ headers: { authorization: `Bearer ${secret}` }, ...extra });

  it("admits exactly `requests` from idle, counting the budget down in the response headers", async () => {
    const { secret } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 5, windowMs: MINUTE, burst: 0 },
    });
    const allowed: Record<string, string>[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await check(secret);
      expect(res.status.code).toBe(0);
      allowed.push(clientHeaders(res));
      // The budget is for the client; the upstream gets the identity headers, not these.
      expect(okHeaders(res)["x-ratelimit-remaining"]).toBeUndefined();
    }
    expect(allowed.map((h) => h["x-ratelimit-remaining"])).toEqual(["4", "3", "2", "1", "0"]);
    expect(allowed.map((h) => h["x-ratelimit-reset"])).toEqual(["12", "24", "36", "48", "60"]);
    expect(allowed[0]).toEqual({
      "ratelimit-policy": '"key";q=5;w=60',
      ratelimit: '"key";r=4;t=12',
      "x-ratelimit-limit": "5",
      "x-ratelimit-remaining": "4",
      "x-ratelimit-reset": "12",
    });

    const limited = await check(secret);
    expect(limited.status.code).toBe(8);
    expect(limited.status.message).toBe("rate_limited");
    expect(deniedHttpStatus(limited)).toBe(429);
    expect(deniedBody(limited)).toEqual({
      error: { code: "rate_limited", message: "Too many requests for this API key." },
    });
    expect(deniedHeaders(limited)).toEqual({
      "content-type": "application/json",
      "ratelimit-policy": '"key";q=5;w=60',
      ratelimit: '"key";r=0;t=60',
      "x-ratelimit-limit": "5",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "60",
      "retry-after": "12",
    });
    expect(limited.ok_response).toBeUndefined();
  });

  it("refills one request per window / requests, and is whole again after a window", async () => {
    const { secret } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 5, windowMs: MINUTE, burst: 0 },
    });
    for (let i = 0; i < 5; i++) expect((await check(secret)).status.code).toBe(0);
    const limited = await check(secret);
    expect(deniedHeaders(limited)["retry-after"]).toBe("12");

    clock.now += 11_000;
    const almost = await check(secret);
    expect(almost.status.code).toBe(8);
    expect(deniedHeaders(almost)["retry-after"]).toBe("1");

    clock.now += 1000;
    const refilled = await check(secret);
    expect(refilled.status.code).toBe(0);
    expect(clientHeaders(refilled)["x-ratelimit-remaining"]).toBe("0");
    expect((await check(secret)).status.code).toBe(8);

    clock.now += MINUTE;
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await check(secret)).status.code);
    expect(codes).toEqual([0, 0, 0, 0, 0, 8]);
  });

  it("denied requests do not consume budget: neither 429s nor other denials", async () => {
    const { secret } = await t.mintKey({
      companyId: "acme",
      scopes: ["jobs:read"],
      rateLimit: { requests: 2, windowMs: MINUTE, burst: 0 },
    });
    for (let i = 0; i < 5; i++) {
      const res = await check(secret, { contextExtensions: { scopes: "candidates:read" } });
      expect(deniedBody(res).error.code).toBe("insufficient_scope");
      // A request that is denied anyway carries no rate-limit headers.
      expect(deniedHeaders(res)["x-ratelimit-limit"]).toBeUndefined();
    }
    expect((await check(secret)).status.code).toBe(0);
    expect((await check(secret)).status.code).toBe(0);
    const first429 = await check(secret);
    for (let i = 0; i < 10; i++) expect((await check(secret)).status.code).toBe(8);
    // Hammering while limited does not push the retry time back.
    const last429 = await check(secret);
    expect(deniedHeaders(last429)["retry-after"]).toBe(deniedHeaders(first429)["retry-after"]);
    clock.now += 30_000;
    expect((await check(secret)).status.code).toBe(0);
  });

  it("admits requests + burst at once", async () => {
    const { secret } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 2, windowMs: MINUTE, burst: 3 },
    });
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await check(secret));
    expect(results.map((r) => r.status.code)).toEqual([0, 0, 0, 0, 0, 8, 8]);
    expect(clientHeaders(results[0] as EnvoyResponse)["x-ratelimit-remaining"]).toBe("4");
    expect(clientHeaders(results[0] as EnvoyResponse)["ratelimit-policy"]).toBe('"key";q=2;w=60');
    // Concurrency does not let more through than the budget.
    const { secret: other } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 2, windowMs: MINUTE, burst: 3 },
    });
    const parallel = await Promise.all(Array.from({ length: 12 }, () => check(other)));
    expect(parallel.filter((r) => r.status.code === 0)).toHaveLength(5);
  });

  it("keeps one budget per key", async () => {
    const limit = { requests: 1, windowMs: MINUTE, burst: 0 };
    const one = await t.mintKey({ companyId: "acme", rateLimit: limit });
    const two = await t.mintKey({ companyId: "acme", rateLimit: limit });
    expect((await check(one.secret)).status.code).toBe(0);
    expect((await check(one.secret)).status.code).toBe(8);
    expect((await check(two.secret)).status.code).toBe(0);
  });

  it("without a key limit and without KEYWARD_RATE_LIMIT, nothing is limited and no headers are sent", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    for (let i = 0; i < 50; i++) {
      const res = await check(secret);
      expect(res.status.code).toBe(0);
      expect(clientHeaders(res)).toEqual({});
    }
  });

  it("applies a limit changed through the admin API to the next request", async () => {
    const admin = await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] });
    const client = clients.client("connect-json-http1", admin.secret);
    const { secret, id } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 100, windowMs: MINUTE, burst: 0 },
    });
    expect(clientHeaders(await check(secret))["x-ratelimit-limit"]).toBe("100");
    await client.updateKey({
      key: { id, rateLimit: { requests: 1, window: { seconds: 3600n }, burst: 0 } },
      updateMask: { paths: ["rate_limit"] },
    });
    // The state is a time, not a count: the 0.6 s the first request used under 100/min must pass first.
    clock.now += 600;
    const res = await check(secret);
    expect(res.status.code).toBe(0);
    expect(clientHeaders(res)["ratelimit-policy"]).toBe('"key";q=1;w=3600');
    expect((await check(secret)).status.code).toBe(8);
  });

  it("records 429s as denied usage with outcome rate_limited", async () => {
    const { secret, id } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 3, windowMs: MINUTE, burst: 0 },
    });
    for (let i = 0; i < 7; i++) await check(secret);
    await t.app.ctx.traffic.flush();
    const rows = await t.app.ctx.database.db
      .selectFrom("auth_events")
      .select(["outcome", "count"])
      .where("key_id", "=", id)
      .orderBy("outcome")
      .execute();
    expect(rows.map((r) => [r.outcome, Number(r.count)])).toEqual([
      ["allow", 3],
      ["rate_limited", 4],
    ]);
  });
});

describe("the default limit (KEYWARD_RATE_LIMIT, KEYWARD_RATE_LIMIT_BURST)", () => {
  const clock = { now: Date.now() };
  let t: TestApp;
  let envoy: EnvoyClient;
  beforeAll(async () => {
    t = await startTestApp({
      now: () => clock.now,
      env: { KEYWARD_RATE_LIMIT: "3/1m", KEYWARD_RATE_LIMIT_BURST: "2" },
    });
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  const check = (secret: string) => envoy.check({ headers: { authorization: `Bearer ${secret}` } });

  it("limits keys that set no limit of their own", async () => {
    const { secret } = await t.mintKey({ companyId: "acme" });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await check(secret));
    expect(results.map((r) => r.status.code)).toEqual([0, 0, 0, 0, 0, 8]);
    expect(clientHeaders(results[0] as EnvoyResponse)["ratelimit-policy"]).toBe('"key";q=3;w=60');
    expect(clientHeaders(results[0] as EnvoyResponse)["x-ratelimit-remaining"]).toBe("4");
    // 60 s / 3 requests: one more every 20 s.
    expect(deniedHeaders(results[5] as EnvoyResponse)["retry-after"]).toBe("20");
    clock.now += 20_000;
    expect((await check(secret)).status.code).toBe(0);
  });

  it("gives way to a key's own limit", async () => {
    const { secret } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 10, windowMs: MINUTE, burst: 0 },
    });
    const codes = [];
    for (let i = 0; i < 11; i++) codes.push((await check(secret)).status.code);
    expect(codes.filter((c) => c === 0)).toHaveLength(10);
    expect(codes[10]).toBe(8);
  });
});
