import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";
import { metric, outcome, until } from "./support/keyward.js";
import { RedisProcess } from "./support/redis-process.js";

/**
 * Global rate limits on a redis-server of the test's own, which is frozen (SIGSTOP: connected, never
 * answering). After a few timeouts the circuit opens: Checks are limited locally without waiting on Redis,
 * then one request probes, and limits are global again once Redis answers. /metrics says which mode is on.
 */
describe("a frozen Redis behind global rate limits", () => {
  let redis: RedisProcess;
  let t: TestApp;
  let envoy: EnvoyClient;
  let key: string;
  const mode = async () => {
    for (const m of ["global", "local", "probing"]) {
      if ((await metric(t.adminUrl, "keyward_ratelimit_mode", `mode="${m}"`)) === 1) return m;
    }
    return "none";
  };
  const failures = () => metric(t.adminUrl, "keyward_ratelimit_redis_failures_total");

  beforeAll(async () => {
    redis = await RedisProcess.start();
    t = await startTestApp({ env: { KEYWARD_REDIS_URL: redis.url, KEYWARD_RATE_LIMIT: "10000/1s" } });
    key = (await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] })).secret;
    envoy = new EnvoyClient(t.authzAddress);
    await until(() => outcome(envoy, key), "allow", 5000);
  }, 180_000);

  afterAll(async () => {
    envoy?.close();
    await t?.close();
    redis?.destroy();
  });

  it("limits on Redis while it answers", async () => {
    expect(await outcome(envoy, key)).toBe("allow");
    expect(await mode()).toBe("global");
    expect(await failures()).toBe(0);
  });

  it("stops asking a frozen Redis after a few timeouts and limits locally", async () => {
    redis.freeze();
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) outcomes.push(await outcome(envoy, key));
    expect(outcomes.every((o) => o === "allow")).toBe(true);
    // 30 Checks, but only the first few (and at most a probe or two) waited on Redis.
    const failed = await failures();
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(failed).toBeLessThanOrEqual(6);
    expect(["local", "probing"]).toContain(await mode());
  });

  it("probes again after a while and goes back to global limits once Redis answers", async () => {
    redis.thaw();
    await until(
      async () => {
        await outcome(envoy, key);
        return mode();
      },
      "global",
      10_000,
    );
    expect(await outcome(envoy, key)).toBe("allow");
  });
});
