import { beforeAll, describe, expect, it } from "vitest";
import { wellFormedKey } from "../helpers/envoy-client.js";
import { errorOf, useForwardApp } from "../helpers/forward-client.js";
import { readTraffic } from "../helpers/traffic-tables.js";

const CLIENT = "203.0.113.7";

describe("forward auth behind a trusted proxy (loopback, the default)", () => {
  const h = useForwardApp({ env: { KEYWARD_UNKNOWN_KEY_LIMIT: "2/1h" } });
  let allowlisted: { secret: string; id: string };
  /** How many unknown keys of one client were looked up before its budget ran out. */
  let lookedUp = 0;
  beforeAll(async () => {
    allowlisted = await h.mint({ companyId: "acme", ipAllowlist: [`${CLIENT}/32`] });
  });
  const from = (headers: Record<string, string>) =>
    h.h1.request("/authz/forward", { authorization: `Bearer ${allowlisted.secret}`, ...headers });

  it("judges the allowlist by the right-most X-Forwarded-For hop that is not a trusted proxy", async () => {
    expect((await from({ "x-forwarded-for": `198.51.100.1, ${CLIENT}` })).status).toBe(200);
    expect((await from({ "x-forwarded-for": `${CLIENT}, 127.0.0.1, ::1` })).status).toBe(200);
    // A client that writes the allowed address first is still judged by the hop the proxy appended.
    const spoofed = await from({ "x-forwarded-for": `${CLIENT}, 198.51.100.1` });
    expect(spoofed.status).toBe(403);
    expect(errorOf(spoofed).code).toBe("ip_not_allowed");
    expect((await from({ "x-forwarded-for": `::ffff:${CLIENT}` })).status).toBe(200);
  });

  it("falls back to X-Real-IP, and to the peer when neither header names a client", async () => {
    expect((await from({ "x-real-ip": CLIENT })).status).toBe(200);
    expect(errorOf(await from({})).code).toBe("ip_not_allowed");
    expect(errorOf(await from({ "x-real-ip": "not an address" })).code).toBe("ip_not_allowed");
  });

  it("charges the unknown-key budget to the resolved client, not to the proxy", async () => {
    const unknown = (client: string) =>
      h.h1.request("/authz/forward", {
        authorization: `Bearer ${wellFormedKey()}`,
        "x-forwarded-for": client,
      });
    // The budget (2 a hour, as many again as a burst) runs out within a few lookups.
    let looked = 0;
    let throttled = await unknown("198.51.100.20");
    while (throttled.status === 401 && looked < 10) {
      expect(errorOf(throttled).code).toBe("invalid_key");
      looked++;
      throttled = await unknown("198.51.100.20");
    }
    expect(looked).toBeGreaterThanOrEqual(2);
    lookedUp = looked;
    expect(throttled.status).toBe(429);
    expect(errorOf(throttled).code).toBe("rate_limited");
    expect(throttled.headers["ratelimit-policy"]).toContain('"unknown-keys"');
    // Another client behind the same proxy has its own budget.
    expect(errorOf(await unknown("198.51.100.21")).code).toBe("invalid_key");
  });

  it("records usage and the auth audit with the original method, path and client address", async () => {
    const { secret, id } = await h.mint({ companyId: "acme" });
    const reply = await h.h1.request("/authz/nginx", {
      authorization: `Bearer ${secret}`,
      "x-original-method": "DELETE",
      "x-original-uri": "/v1/jobs/7?force=1",
      "x-forwarded-for": "198.51.100.30",
    });
    expect(reply.status).toBe(200);
    await h.t.app.ctx.traffic.flush();
    const traffic = await readTraffic(h.t.app.ctx.database);
    expect(traffic.usage[`${id} acme`]).toEqual({ requests: 1, denied: 0 });
    expect(traffic.endpoints[`${id} DELETE /v1/jobs/7`]).toBe(1);
    expect(traffic.byKey[`${id} acme allow`]?.sourceIps).toEqual(["198.51.100.30"]);
    expect(traffic.bySourceIp["198.51.100.20 invalid_key"]).toBe(lookedUp);
    expect(traffic.bySourceIp["198.51.100.20 rate_limited"]).toBe(1);
  });

  it("counts decisions and their latency under protocol http, apart from Check's grpc", async () => {
    const { secret } = await h.mint({ companyId: "acme" });
    for (let i = 0; i < 3; i++) await h.h1.request("/authz/forward", { authorization: `Bearer ${secret}` });
    await h.envoy.check({ headers: { authorization: `Bearer ${secret}` } });
    const text = await (await fetch(`${h.t.adminUrl}/metrics`)).text();
    const sample = (name: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(`${name} `))
          ?.split(" ")[1],
      );
    expect(sample('keyward_checks_total{outcome="allow",protocol="http"}')).toBeGreaterThanOrEqual(3);
    expect(sample('keyward_checks_total{outcome="allow",protocol="grpc"}')).toBe(1);
    expect(sample('keyward_check_duration_seconds_count{outcome="allow",protocol="grpc"}')).toBe(1);
    expect(sample('keyward_check_duration_seconds_count{outcome="allow",protocol="http"}')).toBe(
      sample('keyward_checks_total{outcome="allow",protocol="http"}'),
    );
  });
});

describe("forward auth when no proxy is trusted", () => {
  const h = useForwardApp({ env: { KEYWARD_TRUSTED_PROXIES: "10.0.0.0/8" } });

  it("ignores X-Forwarded-For and X-Real-IP from an untrusted peer and judges the peer itself", async () => {
    const far = await h.mint({ companyId: "acme", ipAllowlist: [`${CLIENT}/32`] });
    const spoofed = await h.h1.request("/authz/forward", {
      authorization: `Bearer ${far.secret}`,
      "x-forwarded-for": CLIENT,
      "x-real-ip": CLIENT,
    });
    expect(spoofed.status).toBe(403);
    expect(errorOf(spoofed).code).toBe("ip_not_allowed");
    const local = await h.mint({ companyId: "acme", ipAllowlist: ["127.0.0.1/32"] });
    const reply = await h.h1.request("/authz/forward", {
      authorization: `Bearer ${local.secret}`,
      "x-forwarded-for": CLIENT,
    });
    expect(reply.status).toBe(200);
  });
});
