import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLimiter } from "../../src/ratelimit/redis-limiter.js";
import { deniedHeaders, EnvoyClient, type EnvoyResponse } from "../helpers/envoy-client.js";
import { clientHeaders, eventually, metricValue } from "../helpers/hot-path.js";
import { type ReplicaPair, startReplicaPair } from "../helpers/replicas.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Global rate limits on the real Redis at 127.0.0.1:6379 (database 5; every budget lives under the key's
 * random id, so nothing needs flushing): two replicas draw from one budget; without Redis each replica limits
 * on its own, says so, and goes back to Redis when it returns.
 */
const REDIS_DB = 5;
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`;
const MINUTE = 60_000;

function checkWith(envoy: EnvoyClient, secret: string): Promise<EnvoyResponse> {
  return envoy.check({ headers: { authorization: `Bearer ${secret}` } });
}

describe("two replicas on one Redis", () => {
  let pair: ReplicaPair;
  let envoyA: EnvoyClient;
  let envoyB: EnvoyClient;
  let redis: Redis;

  beforeAll(async () => {
    pair = await startReplicaPair({
      env: { KEYWARD_REDIS_URL: REDIS_URL, KEYWARD_RATE_LIMIT: "4/1m", KEYWARD_RATE_LIMIT_BURST: "1" },
    });
    envoyA = new EnvoyClient(pair.a.authzAddress);
    envoyB = new EnvoyClient(pair.b.authzAddress);
    redis = new Redis(REDIS_URL);
    // Both replicas must be on Redis before the budgets below mean anything.
    const probe = await pair.mintKey({
      companyId: "acme",
      rateLimit: { requests: 1000, windowMs: MINUTE, burst: 0 },
    });
    for (const [envoy, t] of [
      [envoyA, pair.a],
      [envoyB, pair.b],
    ] as const) {
      await eventually(
        async () => {
          await checkWith(envoy, probe.secret);
          return (await metricValue(t.adminUrl, "keyward_ratelimit_degraded")) === 0;
        },
        { timeoutMs: 5000, what: "replica using Redis" },
      );
    }
  });
  afterAll(async () => {
    envoyA?.close();
    envoyB?.close();
    redis?.disconnect();
    await pair?.close();
  });

  /**
   * Runs `scenario` until one run is decided by Redis alone on both replicas (at most three runs). A Redis
   * answer that arrives after the limiter's 100 ms command timeout (an event-loop stall on a busy machine) is a
   * failure the limiter falls back from by design, and a run with a fallback says nothing about the shared
   * budget: the fallback itself is tested below, on purpose.
   */
  async function onRedisAlone<T>(scenario: () => Promise<T>): Promise<T> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const before = await Promise.all([pair.a, pair.b].map(fallbacks));
      const outcome = await scenario();
      const after = await Promise.all([pair.a, pair.b].map(fallbacks));
      if (after.every((n, i) => n === before[i])) return outcome;
    }
    throw new Error("three runs in a row fell back to local limits: Redis did not answer in time");
  }

  it("admits exactly requests + burst across both replicas, even all at once", async () => {
    const { results, ttl } = await onRedisAlone(async () => {
      const { secret, id } = await pair.mintKey({
        companyId: "acme",
        rateLimit: { requests: 5, windowMs: MINUTE, burst: 0 },
      });
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => checkWith(i % 2 === 0 ? envoyA : envoyB, secret)),
      );
      return { results, ttl: await redis.pttl(`keyward:rl:${id}`) };
    });
    const allowed = results.filter((r) => r.status.code === 0);
    expect(allowed).toHaveLength(5);
    expect(results.filter((r) => r.status.code === 8)).toHaveLength(11);
    // One budget: each remaining value was handed out once.
    expect(allowed.map((r) => clientHeaders(r)["x-ratelimit-remaining"]).sort()).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
    ]);
    // The budget really is in Redis, under the key's id, expiring once it is whole again.
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MINUTE + 1000);
  });

  it("counts a burst allowance once, whichever replica a request reaches", async () => {
    const { codes, remaining } = await onRedisAlone(async () => {
      const { secret } = await pair.mintKey({
        companyId: "acme",
        rateLimit: { requests: 3, windowMs: MINUTE, burst: 2 },
      });
      const codes: number[] = [];
      const remaining: (string | undefined)[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await checkWith(i % 2 === 0 ? envoyA : envoyB, secret);
        codes.push(res.status.code);
        if (res.status.code === 0) remaining.push(clientHeaders(res)["x-ratelimit-remaining"]);
      }
      return { codes, remaining };
    });
    expect(codes).toEqual([0, 0, 0, 0, 0, 8, 8, 8]);
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
  });

  it("applies the default limit globally to keys without their own", async () => {
    const results = await onRedisAlone(async () => {
      const { secret } = await pair.mintKey({ companyId: "acme" });
      return Promise.all(
        Array.from({ length: 10 }, (_, i) => checkWith(i % 2 === 0 ? envoyA : envoyB, secret)),
      );
    });
    expect(results.filter((r) => r.status.code === 0)).toHaveLength(5);
    const limited = results.find((r) => r.status.code === 8) as EnvoyResponse;
    expect(deniedHeaders(limited)["ratelimit-policy"]).toBe('"key";q=4;w=60');
    expect(deniedHeaders(limited)["retry-after"]).toBe("15");
  });

  it("refills on Redis's clock: a key limited on A passes on B once a request's worth has refilled", async () => {
    const { secret, results, onB } = await onRedisAlone(async () => {
      const { secret } = await pair.mintKey({
        companyId: "acme",
        // One request a second, two at once: slow enough that no refill happens between the checks below.
        rateLimit: { requests: 2, windowMs: 2000, burst: 0 },
      });
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await checkWith(envoyA, secret));
      return { secret, results, onB: await checkWith(envoyB, secret) };
    });
    expect(results.map((r) => r.status.code)).toEqual([0, 0, 8]);
    const limited = results[2] as EnvoyResponse;
    expect(limited.status.code).toBe(8);
    expect(deniedHeaders(limited)["retry-after"]).toBe("1");
    expect(onB.status.code).toBe(8);
    await eventually(async () => (await checkWith(envoyB, secret)).status.code === 0, {
      timeoutMs: 1500,
      what: "a refilled request passing on B",
    });
  });
});

/** keyward_ratelimit_fallbacks_total of an app. */
async function fallbacks(t: TestApp): Promise<number | undefined> {
  return metricValue(t.adminUrl, "keyward_ratelimit_fallbacks_total");
}

describe("when Redis is unreachable", () => {
  // Redis through a forwarder the test cuts and restores, on one port: first closed, then up, then lost.
  const proxy = new TcpProxy("127.0.0.1", 6379);
  let t: TestApp;
  let envoy: EnvoyClient;

  beforeAll(async () => {
    await proxy.open();
    await proxy.cut();
    t = await startTestApp({ env: { KEYWARD_REDIS_URL: `redis://127.0.0.1:${proxy.port}/${REDIS_DB}` } });
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy?.close();
    await t?.close();
    await proxy.cut();
  });

  const degraded = () => metricValue(t.adminUrl, "keyward_ratelimit_degraded");
  const warnings = () =>
    t.logs.filter((l) => l.includes("Redis unavailable: rate limits fall back to per-replica limits"));

  it("still answers, limits per replica, warns once and reports itself degraded", async () => {
    const { secret } = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 5, windowMs: MINUTE, burst: 0 },
    });
    const codes = [];
    for (let i = 0; i < 8; i++) codes.push((await checkWith(envoy, secret)).status.code);
    expect(codes).toEqual([0, 0, 0, 0, 0, 8, 8, 8]);
    expect(await degraded()).toBe(1);
    expect(await fallbacks(t)).toBe(8);
    expect(warnings()).toHaveLength(1);
    expect(JSON.parse(warnings()[0] as string).level).toBe(40);
  });

  it("goes back to Redis when it becomes reachable, and falls back again when it is lost", async () => {
    const probe = await t.mintKey({
      companyId: "acme",
      rateLimit: { requests: 1000, windowMs: MINUTE, burst: 0 },
    });
    await proxy.open();
    await eventually(
      async () => {
        await checkWith(envoy, probe.secret);
        return (await degraded()) === 0;
      },
      { timeoutMs: 5000, what: "the limiter using Redis again" },
    );
    expect(t.logs.some((l) => l.includes("rate limits are global again"))).toBe(true);

    // Ten minutes per five requests: nothing refills while the test runs.
    const limit = { requests: 5, windowMs: 10 * MINUTE, burst: 0 };
    const { secret } = await t.mintKey({ companyId: "acme", rateLimit: limit });
    const before = (await fallbacks(t)) as number;
    for (const expected of ["4", "3"]) {
      expect(clientHeaders(await checkWith(envoy, secret))["x-ratelimit-remaining"]).toBe(expected);
    }
    expect(await fallbacks(t)).toBe(before);

    await proxy.cut();
    const local = [];
    for (let i = 0; i < 6; i++) local.push((await checkWith(envoy, secret)).status.code);
    // The local budget knows nothing of the two spent on Redis: five more pass, then 429.
    expect(local).toEqual([0, 0, 0, 0, 0, 8]);
    expect(await degraded()).toBe(1);
    expect(await fallbacks(t)).toBe(before + 6);
    expect(warnings()).toHaveLength(2);

    await proxy.open();
    await eventually(
      async () => {
        await checkWith(envoy, probe.secret);
        return (await degraded()) === 0;
      },
      { timeoutMs: 5000, what: "the limiter using Redis again" },
    );
    // Redis still holds the global budget: three of five are left.
    const global = [];
    for (let i = 0; i < 4; i++) global.push((await checkWith(envoy, secret)).status.code);
    expect(global).toEqual([0, 0, 0, 8]);
  });
});

describe("RedisLimiter on a stalled event loop", () => {
  it("takes a reply that arrived in time, even when the process only reads it after the timeout", async () => {
    const limiter = new RedisLimiter(REDIS_URL, 100);
    try {
      await eventually(() => limiter.ready, { timeoutMs: 5000, what: "the limiter connecting" });
      const spec = { requests: 5, windowMs: MINUTE, burst: 0 };
      // A 250 ms synchronous stall (a GC pause, a CPU-bound request) right after sending, here from I/O-side
      // code: Redis answers meanwhile, and the process comes to its expired timers before it reads its sockets.
      const { taken } = await new Promise<{ taken: ReturnType<RedisLimiter["take"]> }>((resolve) =>
        setImmediate(() => {
          const taken = limiter.take(`stall-${Date.now()}-${Math.random()}`, spec);
          const until = Date.now() + 250;
          while (Date.now() < until) {
            // busy
          }
          resolve({ taken });
        }),
      );
      await expect(taken).resolves.toEqual({ allowed: true, remaining: 4, resetMs: 12_000, retryAfterMs: 0 });
    } finally {
      await limiter.close();
    }
  });

  it("still gives up on a Redis that does not answer", async () => {
    const proxy = new TcpProxy("127.0.0.1", 6379);
    await proxy.open();
    const limiter = new RedisLimiter(`redis://127.0.0.1:${proxy.port}/${REDIS_DB}`, 100);
    try {
      await eventually(() => limiter.ready, { timeoutMs: 5000, what: "the limiter connecting" });
      proxy.swallow = true;
      await expect(
        limiter.take(`hung-${Date.now()}`, { requests: 5, windowMs: MINUTE, burst: 0 }),
      ).rejects.toThrow(/within 100 ms/);
    } finally {
      await limiter.close();
      await proxy.cut();
    }
  });
});
