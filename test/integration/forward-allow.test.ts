import { describe, expect, it } from "vitest";
import { useForwardApp } from "../helpers/forward-client.js";

const COMPANY_PATH = "path:/v1/companies/{company}/**";
const IDENTITY = ["x-keyward-key-id", "x-keyward-company-id", "x-keyward-scopes", "x-keyward-environment"];
const ROUTE = `?scopes=candidates:read&company_from=${encodeURIComponent(COMPANY_PATH)}&environment=live`;

describe("forward auth allow", () => {
  const h = useForwardApp();

  it("answers 200 with an empty body and the four identity headers on /authz/forward (HTTP/1.1)", async () => {
    const { secret, id } = await h.mint({ companyId: "acme", scopes: ["candidates:read", "jobs:write"] });
    const reply = await h.h1.request(`/authz/forward${ROUTE}`, {
      authorization: `Bearer ${secret}`,
      "x-forwarded-method": "GET",
      "x-forwarded-uri": "/v1/companies/acme/candidates?page=2",
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("");
    expect(reply.headers).toMatchObject({
      "x-keyward-key-id": id,
      "x-keyward-company-id": "acme",
      "x-keyward-scopes": "candidates:read jobs:write",
      "x-keyward-environment": "live",
    });
  });

  it("answers the same on /authz/nginx with X-Original-URI, over h2c", async () => {
    const { secret, id } = await h.mint({ companyId: "acme", scopes: ["candidates:read"] });
    const reply = await h.h2.request(`/authz/nginx${ROUTE}`, {
      "x-api-key": secret,
      "x-original-method": "POST",
      "x-original-uri": "/v1/companies/acme/candidates",
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("");
    expect(reply.headers["x-keyward-key-id"]).toBe(id);
    expect(reply.headers["x-keyward-company-id"]).toBe("acme");
  });

  it("always sends all four identity headers, an empty scopes header for a key with none", async () => {
    const { secret } = await h.mint({ companyId: "acme" });
    const reply = await h.h1.request("/authz/forward", { authorization: `Bearer ${secret}` });
    expect(reply.status).toBe(200);
    for (const name of IDENTITY) expect(Object.keys(reply.headers), name).toContain(name);
    expect(reply.headers["x-keyward-scopes"]).toBe("");
  });

  it("accepts any method for the auth request itself", async () => {
    const { secret } = await h.mint({ companyId: "acme" });
    for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const reply = await h.h1.request("/authz/forward", { authorization: `Bearer ${secret}` }, method);
      expect(reply.status, method).toBe(200);
    }
  });

  it("sends the rate-limit headers with an allow when the key has a limit", async () => {
    const { secret } = await h.mint({
      companyId: "acme",
      rateLimit: { requests: 10, windowMs: 60_000, burst: 0 },
    });
    const reply = await h.h1.request("/authz/forward", { authorization: `Bearer ${secret}` });
    expect(reply.status).toBe(200);
    expect(reply.headers["ratelimit-policy"]).toBe('"key";q=10;w=60');
    expect(reply.headers["x-ratelimit-limit"]).toBe("10");
    expect(reply.headers["x-ratelimit-remaining"]).toBe("9");
  });

  it("ignores x-keyward-* headers the client forged", async () => {
    const { secret, id } = await h.mint({ companyId: "acme", scopes: ["a:read"] });
    const reply = await h.h1.request("/authz/forward", {
      authorization: `Bearer ${secret}`,
      "x-keyward-key-id": "key_forged",
      "x-keyward-company-id": "globex",
      "x-keyward-scopes": "platform:admin",
      "x-keyward-environment": "test",
      "x-keyward-status": "200",
    });
    expect(reply.status).toBe(200);
    expect(reply.headers["x-keyward-key-id"]).toBe(id);
    expect(reply.headers["x-keyward-company-id"]).toBe("acme");
    expect(reply.headers["x-keyward-scopes"]).toBe("a:read");
    expect(reply.headers["x-keyward-environment"]).toBe("live");
  });

  it("answers an unknown path with a 404 JSON error on both HTTP versions", async () => {
    for (const reply of [await h.h1.request("/authz/other"), await h.h2.request("/")]) {
      expect(reply.status).toBe(404);
      expect(reply.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(reply.body).error.code).toBe("not_found");
    }
  });
});
