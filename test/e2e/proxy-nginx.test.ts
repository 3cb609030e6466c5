import { describe, expect, it } from "vitest";
import { failsClosedCase, proxyContractCases, useProxiedKeyward } from "../helpers/proxies-cases.js";
import { startNginx } from "../helpers/proxies-nginx.js";

/**
 * Debian's nginx running examples/nginx/nginx.conf as shipped (only its ports changed), in front of an echo
 * API, asking a real Keyward on /authz/nginx. nginx drops the body of an auth_request denial, so the
 * example's denial pages rebuild the JSON: 401s and insufficient_scope keep Keyward's code (read from
 * www-authenticate), other 403s say "forbidden".
 */
describe("nginx auth_request with the shipped example", () => {
  const env = useProxiedKeyward(startNginx);
  const codeSeen = (code: string) =>
    code.endsWith("_key") || code === "insufficient_scope" || code === "rate_limited" ? code : "forbidden";
  proxyContractCases(env, codeSeen);
  failsClosedCase(startNginx, 500);

  it("turns Keyward's 403 with x-keyward-status 429 back into a 429 with the rate-limit headers", async () => {
    const key = await env.keyward.mint({
      companyId: "acme",
      rateLimit: { requests: 2, windowMs: 3_600_000, burst: 0 },
    });
    const headers = { authorization: `Bearer ${key.secret}` };
    const allowed = await env.send("/v1/profile", { headers });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["ratelimit-policy"]).toBe('"key";q=2;w=3600');
    await env.send("/v1/profile", { headers });
    const limited = await env.send("/v1/profile", { headers });
    expect(limited.status).toBe(429);
    expect(limited.headers["x-keyward-status"]).toBeUndefined();
    expect(limited.headers.ratelimit).toMatch(/^"key";r=0;t=\d+$/);
  });
});
