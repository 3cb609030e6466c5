import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  denialText,
  deniedBody,
  deniedHeaders,
  deniedHttpStatus,
  EnvoyClient,
  type EnvoyRequest,
  type EnvoyResponse,
  leakedSecrets,
  okHeaders,
} from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const COMPANY_PATH = "path:/v1/companies/{company}/**";

/** The shape every 403 shares: gRPC 7, HTTP 403, a JSON body naming `code`, no identity for the upstream. */
function expectForbidden(res: EnvoyResponse, code: string): void {
  expect(deniedBody(res).error.code).toBe(code);
  expect(res.status.code).toBe(7);
  expect(res.http_response).toBe("denied_response");
  expect(res.ok_response).toBeFalsy();
  expect(deniedHttpStatus(res)).toBe(403);
  const headers = deniedHeaders(res);
  expect(headers["content-type"]).toBe("application/json");
  expect(headers["x-keyward-company-id"]).toBeUndefined();
  expect(typeof deniedBody(res).error.message).toBe("string");
  if (code !== "insufficient_scope") expect(headers["www-authenticate"]).toBeUndefined();
}

describe("Check 403 denials", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  const secrets: string[] = [];
  const mint = async (spec: Parameters<TestApp["mintKey"]>[0]) => {
    const key = await t.mintKey(spec);
    secrets.push(key.secret);
    return key.secret;
  };
  /** A check with `secret` as bearer on top of `r`. */
  const withKey = (secret: string, r: EnvoyRequest = {}) =>
    envoy.check({ ...r, headers: { authorization: `Bearer ${secret}`, ...r.headers } });

  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  describe("insufficient_scope", () => {
    it("names every scope the route requires in the challenge and the body", async () => {
      const secret = await mint({ companyId: "acme", scopes: ["candidates:read"] });
      const res = await withKey(secret, {
        contextExtensions: { scopes: "candidates:read candidates:write" },
      });
      expectForbidden(res, "insufficient_scope");
      const challenge = deniedHeaders(res)["www-authenticate"] ?? "";
      expect(challenge.startsWith("Bearer ")).toBe(true);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain('scope="candidates:read candidates:write"');
      expect(deniedBody(res).error.required_scopes).toEqual(["candidates:read", "candidates:write"]);
    });

    it("denies a key with no scopes on a route that requires one", async () => {
      const secret = await mint({ companyId: "acme" });
      expectForbidden(
        await withKey(secret, { contextExtensions: { scopes: "jobs:read" } }),
        "insufficient_scope",
      );
    });

    it("lets resource:* grant every action on that resource and nothing else", async () => {
      const secret = await mint({ companyId: "acme", scopes: ["candidates:*"] });
      const ok = await withKey(secret, {
        contextExtensions: { scopes: "candidates:read candidates:delete" },
      });
      expect(ok.status.code).toBe(0);
      expect(okHeaders(ok)["x-keyward-scopes"]).toBe("candidates:*");
      expectForbidden(
        await withKey(secret, { contextExtensions: { scopes: "jobs:read" } }),
        "insufficient_scope",
      );
      expectForbidden(
        await withKey(secret, { contextExtensions: { scopes: "candidates.notes:read" } }),
        "insufficient_scope",
      );
    });

    it("lets * grant any ordinary scope but never keys:admin or platform:admin", async () => {
      const secret = await mint({ companyId: "acme", scopes: ["*"] });
      const ok = await withKey(secret, {
        contextExtensions: { scopes: "candidates:read jobs:write billing:*" },
      });
      expect(ok.status.code).toBe(0);
      for (const reserved of ["keys:admin", "platform:admin"]) {
        const res = await withKey(secret, { contextExtensions: { scopes: reserved } });
        expectForbidden(res, "insufficient_scope");
        expect(deniedBody(res).error.required_scopes).toEqual([reserved]);
      }
    });

    it("does not let keys:* or platform:* grant the reserved admin scopes", async () => {
      const secret = await mint({ companyId: "acme", scopes: ["keys:*", "platform:*"] });
      expect((await withKey(secret, { contextExtensions: { scopes: "keys:read" } })).status.code).toBe(0);
      expectForbidden(
        await withKey(secret, { contextExtensions: { scopes: "keys:admin" } }),
        "insufficient_scope",
      );
      expectForbidden(
        await withKey(secret, { contextExtensions: { scopes: "platform:admin" } }),
        "insufficient_scope",
      );
    });

    it("grants keys:admin when the key spells it out", async () => {
      const secret = await mint({ companyId: "acme", scopes: ["keys:admin"] });
      expect((await withKey(secret, { contextExtensions: { scopes: "keys:admin" } })).status.code).toBe(0);
    });
  });

  describe("ip_not_allowed", () => {
    let secret: string;
    beforeAll(async () => {
      secret = await mint({ companyId: "acme", ipAllowlist: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"] });
    });

    it.each([
      "10.1.2.3",
      "192.0.2.7",
      "2001:db8::1",
      "2001:db8:ffff::42",
      "::ffff:10.9.9.9",
      "::ffff:192.0.2.7",
    ])("allows %s, inside the allowlist", async (ip) => {
      expect((await withKey(secret, { sourceIp: ip })).status.code).toBe(0);
    });

    it.each(["11.0.0.1", "192.0.2.8", "2001:db9::1", "::1", "::ffff:11.0.0.1", "::a00:1"])(
      "denies %s, outside the allowlist",
      async (ip) => {
        expectForbidden(await withKey(secret, { sourceIp: ip }), "ip_not_allowed");
      },
    );

    it("denies a check with no source address when the key has an allowlist", async () => {
      expectForbidden(await withKey(secret, { sourceIp: null }), "ip_not_allowed");
    });

    it("allows a key without an allowlist from anywhere, even with no source address", async () => {
      const open = await mint({ companyId: "acme" });
      expect((await withKey(open, { sourceIp: null })).status.code).toBe(0);
      expect((await withKey(open, { sourceIp: "2001:db8::9" })).status.code).toBe(0);
    });

    it("matches an IPv6-only allowlist against IPv6 sources only", async () => {
      const v6 = await mint({ companyId: "acme", ipAllowlist: ["fd00::/8"] });
      expect((await withKey(v6, { sourceIp: "fd12:3456::1" })).status.code).toBe(0);
      expectForbidden(await withKey(v6, { sourceIp: "10.0.0.1" }), "ip_not_allowed");
    });
  });

  describe("company", () => {
    let acme: string;
    beforeAll(async () => {
      acme = await mint({ companyId: "acme", scopes: ["candidates:read"] });
    });

    it("denies company_forbidden when the path names another company", async () => {
      const res = await withKey(acme, {
        path: "/v1/companies/globex/candidates",
        contextExtensions: { company_from: COMPANY_PATH },
      });
      expectForbidden(res, "company_forbidden");
    });

    it("denies company_forbidden when the company_from header names another company", async () => {
      const res = await withKey(acme, {
        headers: { "x-tenant": "globex" },
        contextExtensions: { company_from: "header:x-tenant" },
      });
      expectForbidden(res, "company_forbidden");
    });

    it("denies company_forbidden when the x-keyward-company selector names another company", async () => {
      expectForbidden(
        await withKey(acme, { headers: { "x-keyward-company": "globex" } }),
        "company_forbidden",
      );
      const onRoute = await withKey(acme, {
        path: "/v1/companies/acme/candidates",
        headers: { "x-keyward-company": "globex" },
        contextExtensions: { company_from: COMPANY_PATH },
      });
      expectForbidden(onRoute, "company_forbidden");
    });

    it("allows a selector equal to the key's company", async () => {
      const res = await withKey(acme, {
        path: "/v1/companies/acme/candidates",
        headers: { "x-keyward-company": "acme" },
        contextExtensions: { company_from: COMPANY_PATH },
      });
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
    });

    it("matches company ids exactly, not by case or prefix", async () => {
      for (const other of ["ACME", "acme2", "acm"]) {
        const res = await withKey(acme, {
          path: `/v1/companies/${other}/candidates`,
          contextExtensions: { company_from: COMPANY_PATH },
        });
        expectForbidden(res, "company_forbidden");
      }
    });

    it.each([
      ["the path does not match the template", "/v2/companies/acme/candidates"],
      ["the path stops before the company segment", "/v1/companies/"],
      ["the path stops at the collection", "/v1/companies"],
    ])("denies company_required when %s", async (_name, path) => {
      const res = await withKey(acme, { path, contextExtensions: { company_from: COMPANY_PATH } });
      expectForbidden(res, "company_required");
    });

    it("denies company_required when the company_from header is absent", async () => {
      const res = await withKey(acme, { contextExtensions: { company_from: "header:x-tenant" } });
      expectForbidden(res, "company_required");
    });

    it("reads the company from an exact template without a trailing **", async () => {
      const exact = { company_from: "path:/v1/companies/{company}" };
      expect(
        (await withKey(acme, { path: "/v1/companies/acme", contextExtensions: exact })).status.code,
      ).toBe(0);
      expectForbidden(
        await withKey(acme, { path: "/v1/companies/acme/candidates", contextExtensions: exact }),
        "company_required",
      );
    });

    it("ignores the query string when matching the path template", async () => {
      const res = await withKey(acme, {
        path: "/v1/companies/acme/candidates?company=globex&x=/v1/companies/globex",
        contextExtensions: { company_from: COMPANY_PATH },
      });
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
    });
  });

  describe("environment_mismatch", () => {
    it("denies a test key on a live route", async () => {
      const secret = await mint({ companyId: "acme", environment: "test" });
      expectForbidden(
        await withKey(secret, { contextExtensions: { environment: "live" } }),
        "environment_mismatch",
      );
      expect((await withKey(secret, { contextExtensions: { environment: "test" } })).status.code).toBe(0);
    });

    it("denies a live key on a test route", async () => {
      const secret = await mint({ companyId: "acme", environment: "live" });
      expectForbidden(
        await withKey(secret, { contextExtensions: { environment: "test" } }),
        "environment_mismatch",
      );
      expect((await withKey(secret, { contextExtensions: { environment: "live" } })).status.code).toBe(0);
    });
  });

  describe("unsupported_request", () => {
    let secret: string;
    beforeAll(async () => {
      secret = await mint({ companyId: "acme", scopes: ["*"] });
    });

    it("denies a check with no HTTP attributes, as from Envoy's network filter", async () => {
      const res = await envoy.check({ noHttp: true, headers: { authorization: `Bearer ${secret}` } });
      expectForbidden(res, "unsupported_request");
    });

    it.each([
      ["an unknown source kind", "query:company"],
      ["a path template without {company}", "path:/v1/companies/*/**"],
      ["a path template with two {company} segments", "path:/v1/{company}/x/{company}"],
      ["a relative path template", "path:v1/companies/{company}"],
      ["a ** before the end", "path:/v1/**/{company}"],
      ["a header source with an invalid name", "header:x tenant"],
      ["an empty header name", "header:"],
    ])("denies a route whose company_from has %s", async (_name, companyFrom) => {
      const res = await withKey(secret, {
        path: "/v1/companies/acme/candidates",
        contextExtensions: { company_from: companyFrom },
      });
      expectForbidden(res, "unsupported_request");
    });

    it.each([
      ["an invalid scope", { scopes: "candidates:read Candidates:Write" }],
      ["a scope with no action", { scopes: "candidates" }],
      ["a scope with a wildcard resource", { scopes: "*:read" }],
      ["an environment other than live or test", { environment: "staging" }],
    ])("denies a route whose context extensions have %s", async (_name, ext) => {
      expectForbidden(await withKey(secret, { contextExtensions: ext }), "unsupported_request");
    });
  });

  it("never shows a secret in a denial or a log line", () => {
    const denials = envoy.responses.filter((r) => r.status.code !== 0);
    expect(denials.length).toBeGreaterThan(30);
    expect(leakedSecrets(secrets, [...t.logs, ...denials.map(denialText)])).toEqual([]);
  });
});
