import { describe, expect, it } from "vitest";
import { decide } from "../../src/authz/decide.js";
import { type DenyCode, deny } from "../../src/authz/decision.js";
import { factOptions, requestFacts } from "../../src/authz/request-facts.js";
import { verifiedKey } from "../../src/authz/verified-key.js";
import { parseAddress } from "../../src/keys/cidr.js";
import { checkRequest } from "./support/check-request.js";
import { key, keyRecord, NOW, requestFactsFor } from "./support/decision-inputs.js";

function outcome(d: ReturnType<typeof decide>): string {
  return d.allow ? "allow" : d.code;
}

describe("expiry", () => {
  it.each([
    [NOW - 60_000, "expired_key"],
    [NOW - 1, "expired_key"],
    [NOW, "expired_key"],
    [NOW + 1, "allow"],
    [NOW + 60_000, "allow"],
  ])("a key expiring at %d, checked at NOW: %s", (expireAt, expected) => {
    expect(outcome(decide(requestFactsFor(), key({ expireTime: new Date(expireAt) }), NOW))).toBe(expected);
  });

  it("never expires a key without an expiry", () => {
    expect(outcome(decide(requestFactsFor(), key({ expireTime: null }), Number.MAX_SAFE_INTEGER))).toBe(
      "allow",
    );
  });
});

describe("IP allowlist", () => {
  const from = (ip: string) => requestFactsFor({ sourceIp: parseAddress(ip) ?? null });

  it("allows any address when the key has no allowlist", () => {
    expect(outcome(decide(from("198.51.100.1"), key(), NOW))).toBe("allow");
    expect(outcome(decide(requestFactsFor({ sourceIp: null }), key(), NOW))).toBe("allow");
  });

  it("allows an address in any listed block, IPv4-mapped included", () => {
    const k = key({ ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"] });
    expect(outcome(decide(from("10.9.8.7"), k, NOW))).toBe("allow");
    expect(outcome(decide(from("::ffff:10.9.8.7"), k, NOW))).toBe("allow");
    expect(outcome(decide(from("2001:db8::5"), k, NOW))).toBe("allow");
    expect(outcome(decide(from("11.0.0.1"), k, NOW))).toBe("ip_not_allowed");
    expect(outcome(decide(from("2001:db9::5"), k, NOW))).toBe("ip_not_allowed");
  });

  it("denies a restricted key when Envoy reports no source address", () => {
    expect(
      outcome(decide(requestFactsFor({ sourceIp: null }), key({ ipAllowlist: ["0.0.0.0/0"] }), NOW)),
    ).toBe("ip_not_allowed");
  });

  it("still restricts a key whose stored allowlist no longer parses", () => {
    const k = key({ ipAllowlist: ["not-a-cidr"] });
    expect(k.ipRestricted).toBe(true);
    expect(k.ipAllowlist).toEqual([]);
    expect(outcome(decide(from("10.0.0.1"), k, NOW))).toBe("ip_not_allowed");
  });
});

describe("company", () => {
  /** Facts for a request read from a real CheckRequest, so path and header sources are exercised end to end. */
  const via = (spec: Parameters<typeof checkRequest>[0]) =>
    requestFacts(checkRequest(spec), factOptions("x-keyward-company"));
  const pathRoute = { company_from: "path:/v1/companies/{company}/**" };
  const headerRoute = { company_from: "header:x-org" };
  const cred = { "x-api-key": "credential" };

  it.each([
    ["path names the key's company", { contextExtensions: pathRoute, path: "/v1/companies/acme/x" }, "allow"],
    [
      "path names another company",
      { contextExtensions: pathRoute, path: "/v1/companies/globex/x" },
      "company_forbidden",
    ],
    ["path does not match", { contextExtensions: pathRoute, path: "/v2/acme" }, "company_required"],
    [
      "path has a dot segment",
      { contextExtensions: pathRoute, path: "/v1/companies/acme/../globex" },
      "company_required",
    ],
    [
      "header names the key's company",
      { contextExtensions: headerRoute, headers: { "x-org": "acme" } },
      "allow",
    ],
    [
      "header names another company",
      { contextExtensions: headerRoute, headers: { "x-org": "globex" } },
      "company_forbidden",
    ],
    ["header is absent", { contextExtensions: headerRoute, headers: {} }, "company_required"],
    [
      "header is repeated",
      {
        contextExtensions: headerRoute,
        rawHeaders: [
          ["x-org", "acme"],
          ["x-org", "acme"],
        ],
      },
      "company_forbidden",
    ],
    ["selector equals the key's company", { headers: { "x-keyward-company": "acme" } }, "allow"],
    ["selector names another company", { headers: { "x-keyward-company": "globex" } }, "company_forbidden"],
    ["selector in another case", { headers: { "x-keyward-company": "ACME" } }, "company_forbidden"],
    ["no company anywhere", {}, "allow"],
    [
      "path right, selector wrong",
      {
        contextExtensions: pathRoute,
        path: "/v1/companies/acme",
        headers: { "x-keyward-company": "globex" },
      },
      "company_forbidden",
    ],
    [
      "path right, selector right",
      { contextExtensions: pathRoute, path: "/v1/companies/acme", headers: { "x-keyward-company": "acme" } },
      "allow",
    ],
  ] as const)("%s: %s", (_, spec, expected) => {
    const withCredential = {
      ...spec,
      headers: { ...cred, ...("headers" in spec ? spec.headers : {}) },
      rawHeaders: "rawHeaders" in spec ? [["x-api-key", "credential"], ...spec.rawHeaders] : undefined,
    } as Parameters<typeof checkRequest>[0];
    expect(outcome(decide(via(withCredential), key(), NOW))).toBe(expected);
  });

  it("acts for the key's own company on allow", () => {
    const d = decide(requestFactsFor({ routeCompany: "acme", companySelector: "acme" }), key(), NOW);
    expect(d).toMatchObject({ allow: true, companyId: "acme" });
  });
});

describe("scopes", () => {
  const route = (scopes: string[]) =>
    requestFactsFor({ route: { scopes, companyFrom: null, environment: null } });

  it("denies insufficient_scope carrying every scope the route requires", () => {
    const d = decide(route(["candidates:read", "offers:write"]), key(), NOW);
    expect(d).toEqual({
      allow: false,
      code: "insufficient_scope",
      message: expect.any(String),
      requiredScopes: ["candidates:read", "offers:write"],
    });
  });

  it("never lets a wildcard stand for a reserved admin scope", () => {
    expect(outcome(decide(route(["keys:admin"]), key({ scopes: ["*"] }), NOW))).toBe("insufficient_scope");
    expect(outcome(decide(route(["platform:admin"]), key({ scopes: ["platform:*"] }), NOW))).toBe(
      "insufficient_scope",
    );
    expect(outcome(decide(route(["keys:admin"]), key({ scopes: ["keys:admin"] }), NOW))).toBe("allow");
  });

  it("allows with all the scopes the key holds, not only those required", () => {
    const d = decide(route(["jobs:write"]), key({ scopes: ["jobs:*", "candidates:read"] }), NOW);
    expect(d).toEqual({
      allow: true,
      keyId: "key_1",
      companyId: "acme",
      scopes: ["jobs:*", "candidates:read"],
      environment: "live",
    });
  });

  it("allows a key with no scopes on a route that requires none", () => {
    expect(decide(route([]), key({ scopes: [] }), NOW)).toMatchObject({ allow: true, scopes: [] });
  });
});

describe("environment", () => {
  it.each([
    ["live", "live", "allow"],
    ["test", "test", "allow"],
    ["live", "test", "environment_mismatch"],
    ["test", "live", "environment_mismatch"],
  ] as const)("a %s key on a %s route: %s", (keyEnv, routeEnv, expected) => {
    const facts = requestFactsFor({ route: { scopes: [], companyFrom: null, environment: routeEnv } });
    const d = decide(facts, key({ environment: keyEnv }), NOW);
    expect(outcome(d)).toBe(expected);
    if (d.allow) expect(d.environment).toBe(keyEnv);
  });
});

describe("deny and verifiedKey", () => {
  const CODES: DenyCode[] = [
    "missing_key",
    "malformed_key",
    "invalid_key",
    "expired_key",
    "suspended_key",
    "revoked_key",
    "insufficient_scope",
    "ip_not_allowed",
    "company_forbidden",
    "company_required",
    "environment_mismatch",
    "rate_limited",
    "unsupported_request",
  ];

  it("gives every code its own non-empty message, and lets extras override it", () => {
    const messages = CODES.map((c) => deny(c).message);
    expect(messages.every((m) => m.length > 0)).toBe(true);
    expect(new Set(messages).size).toBe(CODES.length);
    expect(deny("rate_limited", { retryAfterSeconds: 3 })).toMatchObject({
      code: "rate_limited",
      retryAfterSeconds: 3,
    });
    expect(deny("invalid_key", { message: "custom" }).message).toBe("custom");
  });

  it("prepares a stored key: scope header, expiry in ms, parsed CIDRs", () => {
    const k = verifiedKey(
      keyRecord({ scopes: ["a:b", "c:*"], expireTime: new Date(NOW), ipAllowlist: ["10.0.0.0/8", "::1"] }),
    );
    expect(k.scopeHeader).toBe("a:b c:*");
    expect(k.expireAt).toBe(NOW);
    expect(k.ipRestricted).toBe(true);
    expect(k.ipAllowlist.map((c) => c.prefix)).toEqual([104, 128]);
    expect(verifiedKey(keyRecord()).ipRestricted).toBe(false);
  });
});
