import { beforeAll, describe, expect, it } from "vitest";
import { leakedSecrets } from "../helpers/envoy-client.js";
import { errorOf, Http1Forward, useForwardApp } from "../helpers/forward-client.js";

const COMPANY_PATH = encodeURIComponent("path:/v1/companies/{company}/**");

describe("forward auth route requirements from the auth URL", () => {
  const h = useForwardApp();
  let secret: string;
  beforeAll(async () => {
    secret = (await h.mint({ companyId: "acme", scopes: ["jobs:read", "jobs:write"] })).secret;
  });
  const ask = (target: string, headers: Record<string, string> = {}) =>
    h.h1.request(target, { authorization: `Bearer ${secret}`, ...headers });

  it("reads scopes, company_from and environment from the query, with either space encoding", async () => {
    expect((await ask("/authz/forward?scopes=jobs:read+jobs:write")).status).toBe(200);
    expect((await ask("/authz/forward?scopes=jobs:read%20jobs:write&environment=live")).status).toBe(200);
    expect((await ask("/authz/forward?scopes=jobs:delete")).status).toBe(403);
    const byHeader = `/authz/forward?company_from=${encodeURIComponent("header:x-tenant")}`;
    expect((await ask(byHeader, { "x-tenant": "acme" })).status).toBe(200);
    expect(errorOf(await ask(byHeader, { "x-tenant": "globex" })).code).toBe("company_forbidden");
  });

  it.each([
    ["an unknown parameter", "/authz/forward?scope=jobs:read"],
    ["a repeated parameter", "/authz/forward?scopes=jobs:read&scopes=jobs:write"],
    ["an invalid scope", "/authz/forward?scopes=JOBS"],
    ["an unknown environment", "/authz/forward?environment=prod"],
    ["a company_from without a source", "/authz/forward?company_from=tenant"],
    ["a path template without {company}", `/authz/forward?company_from=${encodeURIComponent("path:/v1/**")}`],
    ["a setting past its length cap", `/authz/forward?environment=${"l".repeat(100)}`],
  ])("answers %s with 403 unsupported_request, the key valid or not", async (_case, target) => {
    for (const reply of [await ask(target), await h.h2.request(target)]) {
      expect(reply.status, reply.body).toBe(403);
      expect(errorOf(reply).code).toBe("unsupported_request");
      expect(errorOf(reply).message).toContain("auth URL");
      expect(reply.headers["x-keyward-key-id"]).toBeUndefined();
    }
  });

  it("warns once per distinct problem with an auth URL, not once per request", async () => {
    const warnings = () =>
      h.t.logs.filter((l) => l.includes("cannot be used") && l.includes("route setting environment must be"))
        .length;
    for (let i = 0; i < 3; i++) await ask("/authz/forward?environment=staging");
    await ask("/authz/forward?environment=prod");
    expect(warnings()).toBe(1);
  });

  it("names the missing original-URI header when the route reads the company from the path", async () => {
    const forward = await ask(`/authz/forward?company_from=${COMPANY_PATH}`);
    expect(forward.status).toBe(403);
    expect(errorOf(forward).code).toBe("unsupported_request");
    expect(errorOf(forward).message).toContain("X-Forwarded-Uri");
    const nginx = await ask(`/authz/nginx?company_from=${COMPANY_PATH}`);
    expect(nginx.status).toBe(403);
    expect(errorOf(nginx).message).toContain("X-Original-URI");
    // A route that does not need the path does not need the header.
    expect((await ask("/authz/forward?scopes=jobs:read")).status).toBe(200);
  });

  it("survives injection strings and huge headers, and never echoes a secret", async () => {
    const odd = [
      "/v1/companies/acme/x?<script>alert(1)</script>",
      `/v1/companies/acme/${"%00".repeat(100)}`,
      "/v1/companies/'; drop table keys; --/x",
      `/${"a".repeat(20_000)}`,
    ];
    const replies = [];
    for (const uri of odd) {
      const reply = await ask(`/authz/forward?company_from=${COMPANY_PATH}`, {
        "x-forwarded-uri": uri,
        "x-forwarded-method": "GET\tPOST",
        "x-forwarded-for": "1.2.3.4, <img src=x>",
        "x-keyward-company": "acme\\u0000",
      });
      expect([200, 403]).toContain(reply.status);
      replies.push(reply.body, JSON.stringify(reply.headers));
    }
    const hugeKey = await h.h1.request("/authz/forward", { authorization: `Bearer ${"k".repeat(10_000)}` });
    expect(hugeKey.status).toBe(401);
    expect(errorOf(hugeKey).code).toBe("malformed_key");
    const other = new Http1Forward(h.t.authzAddress);
    try {
      const tooLarge = await other.request("/authz/forward", { cookie: "c".repeat(70 * 1024) });
      expect(tooLarge.status).toBe(431);
    } finally {
      other.close();
    }
    // Still serving, on the same kept-alive connection.
    expect((await ask("/authz/forward")).status).toBe(200);
    expect(leakedSecrets([secret], [...replies, ...h.t.logs])).toEqual([]);
  });
});
