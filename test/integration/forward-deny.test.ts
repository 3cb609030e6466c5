import { describe, expect, it } from "vitest";
import { wellFormedKey } from "../helpers/envoy-client.js";
import { errorOf, type ForwardReply, rawH2cBody, useForwardApp } from "../helpers/forward-client.js";

const COMPANY_PATH = encodeURIComponent("path:/v1/companies/{company}/**");
const IDENTITY = ["x-keyward-key-id", "x-keyward-company-id", "x-keyward-scopes", "x-keyward-environment"];

/** What every denial shares: the status, a JSON body naming `code`, no identity for the upstream. */
function expectDenied(reply: ForwardReply, status: number, code: string): void {
  expect(reply.status, reply.body).toBe(status);
  expect(reply.headers["content-type"]).toBe("application/json");
  expect(errorOf(reply).code).toBe(code);
  expect(typeof errorOf(reply).message).toBe("string");
  for (const name of IDENTITY) expect(reply.headers[name], name).toBeUndefined();
}

describe("forward auth denials", () => {
  const h = useForwardApp();

  it("answers no key with 401 missing_key and a bare Bearer challenge", async () => {
    const reply = await h.h1.request("/authz/forward");
    expectDenied(reply, 401, "missing_key");
    expect(reply.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
  });

  it("answers an unknown key with 401 invalid_key and an invalid_token challenge", async () => {
    const reply = await h.h2.request("/authz/forward", { authorization: `Bearer ${wellFormedKey()}` });
    expectDenied(reply, 401, "invalid_key");
    expect(reply.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("refuses two authorization headers as malformed on HTTP/1.1 and on h2c", async () => {
    const { secret } = await h.mint({ companyId: "acme" });
    const other = (await h.mint({ companyId: "globex" })).secret;
    const reply = await h.h1.request("/authz/forward", [
      ["authorization", `Bearer ${secret}`],
      ["authorization", `Bearer ${other}`],
    ]);
    expectDenied(reply, 401, "malformed_key");
    const body = await rawH2cBody(h.t.authzAddress, [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "keyward"],
      [":path", "/authz/forward"],
      ["authorization", `Bearer ${secret}`],
      ["authorization", `Bearer ${other}`],
    ]);
    expect(JSON.parse(body).error.code).toBe("malformed_key");
    const same = await h.h2.request("/authz/forward", { "x-api-key": [secret, other] });
    expectDenied(same, 401, "malformed_key");
  });

  it("answers a missing scope with 403 insufficient_scope naming the route's scopes", async () => {
    const { secret } = await h.mint({ companyId: "acme", scopes: ["candidates:read"] });
    const reply = await h.h1.request("/authz/forward?scopes=candidates:read+candidates:write", {
      authorization: `Bearer ${secret}`,
    });
    expectDenied(reply, 403, "insufficient_scope");
    expect(errorOf(reply).required_scopes).toEqual(["candidates:read", "candidates:write"]);
    expect(reply.headers["www-authenticate"]).toContain('scope="candidates:read candidates:write"');
  });

  it("answers a route of the other environment with 403 environment_mismatch", async () => {
    const { secret } = await h.mint({ companyId: "acme", environment: "test" });
    const reply = await h.h1.request("/authz/forward?environment=live", {
      authorization: `Bearer ${secret}`,
    });
    expectDenied(reply, 403, "environment_mismatch");
  });

  it("keeps a key to its company by the original path, and refuses tricks in that path", async () => {
    const { secret } = await h.mint({ companyId: "acme" });
    const ask = (uri: string) =>
      h.h1.request(`/authz/forward?company_from=${COMPANY_PATH}`, {
        authorization: `Bearer ${secret}`,
        "x-forwarded-uri": uri,
      });
    expect((await ask("/v1/companies/acme/jobs?x=1")).status).toBe(200);
    expectDenied(await ask("/v1/companies/globex/jobs"), 403, "company_forbidden");
    expectDenied(await ask("/v1/companies/acme/../globex/jobs"), 403, "company_required");
    expectDenied(await ask("/v1/companies/acme%2f..%2fglobex/jobs"), 403, "company_required");
    const nginx = await h.h1.request(`/authz/nginx?company_from=${COMPANY_PATH}`, {
      authorization: `Bearer ${secret}`,
      "x-original-uri": "/v1/companies/globex/jobs",
    });
    expectDenied(nginx, 403, "company_forbidden");
    expect(nginx.headers["x-keyward-status"]).toBe("403");
  });

  it("answers a rate limit with 429 and retry-after on /authz/forward", async () => {
    const { secret } = await h.mint({
      companyId: "acme",
      rateLimit: { requests: 1, windowMs: 60_000, burst: 0 },
    });
    expect((await h.h1.request("/authz/forward", { authorization: `Bearer ${secret}` })).status).toBe(200);
    const reply = await h.h1.request("/authz/forward", { authorization: `Bearer ${secret}` });
    expectDenied(reply, 429, "rate_limited");
    expect(Number(reply.headers["retry-after"])).toBeGreaterThan(0);
    expect(reply.headers["x-ratelimit-remaining"]).toBe("0");
    expect(reply.headers["x-keyward-status"]).toBeUndefined();
  });

  it("answers a rate limit on /authz/nginx as 403 with x-keyward-status 429 and retry-after", async () => {
    const { secret } = await h.mint({
      companyId: "acme",
      rateLimit: { requests: 1, windowMs: 60_000, burst: 0 },
    });
    expect((await h.h1.request("/authz/nginx", { authorization: `Bearer ${secret}` })).status).toBe(200);
    const reply = await h.h1.request("/authz/nginx", { authorization: `Bearer ${secret}` });
    expectDenied(reply, 403, "rate_limited");
    expect(reply.headers["x-keyward-status"]).toBe("429");
    expect(Number(reply.headers["retry-after"])).toBeGreaterThan(0);
    const unauthenticated = await h.h1.request("/authz/nginx");
    expectDenied(unauthenticated, 401, "missing_key");
    expect(unauthenticated.headers["x-keyward-status"]).toBe("401");
  });
});
