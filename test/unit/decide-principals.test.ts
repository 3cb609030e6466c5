import { describe, expect, it } from "vitest";
import { decide } from "../../src/authz/decide.js";
import type { RequestFacts } from "../../src/authz/request-facts.js";
import { factOptions, requestFacts } from "../../src/authz/request-facts.js";
import { type VerifiedKey, verifiedKey } from "../../src/authz/verified-key.js";
import type { MemberGrant } from "../../src/keys/key-record.js";
import { checkRequest } from "./support/check-request.js";
import { key, keyRecord, NOW, requestFactsFor } from "./support/decision-inputs.js";

/**
 * decide() for credentials that act for several companies. The acting company comes from the selector header
 * (`x-keyward-company`), and for a user token from the user's default company when the header is absent; a
 * route's `company_from` must always name the same company.
 */

function outcome(d: ReturnType<typeof decide>): string {
  return d.allow ? `allow:${d.companyId}` : d.code;
}

/** Facts with a selector and a route company (undefined: the route sets no company_from; null: it found none). */
function facts(selector: string | null, routeCompany: string | null | undefined = undefined): RequestFacts {
  return requestFactsFor({ companySelector: selector, routeCompany });
}

/** An integration key owned by the platform's own company, acting for acme and globex. */
const integration = key({ kind: "integration", companyId: "platform", companyIds: ["acme", "globex"] });

/** Memberships in `companies` that grant everything (`*`), as the default company's does. */
function members(companies: readonly string[]): MemberGrant[] {
  return companies.map((companyId) => ({ companyId, scopes: ["*"] }));
}

/** A user token of a user whose default company is `defaultCompany`, a member of `memberCompanies`. */
function userToken(memberCompanies: readonly string[], defaultCompany = "acme"): VerifiedKey {
  return verifiedKey(
    keyRecord({ kind: "user", companyId: defaultCompany, userId: "u1" }),
    members(memberCompanies),
  );
}

describe("integration keys", () => {
  it.each([
    ["no selector, no route company", null, undefined, "company_required"],
    ["selector names a listed company", "acme", undefined, "allow:acme"],
    ["selector names the other listed company", "globex", undefined, "allow:globex"],
    ["selector names an unlisted company", "initech", undefined, "company_forbidden"],
    ["selector names the owning company, which is not listed", "platform", undefined, "company_forbidden"],
    ["selector in another case", "ACME", undefined, "company_forbidden"],
    ["selector is two companies joined (a repeated header)", "acme,globex", undefined, "company_forbidden"],
    ["route and selector name the same listed company", "globex", "globex", "allow:globex"],
    ["route names another listed company than the selector", "acme", "globex", "company_forbidden"],
    ["route names an unlisted company", "acme", "initech", "company_forbidden"],
    ["route names a listed company, no selector", null, "acme", "company_required"],
    ["route sets company_from but the request yields none", "acme", null, "company_required"],
  ] as const)("%s: %s", (_, selector, routeCompany, expected) => {
    expect(outcome(decide(facts(selector, routeCompany), integration, NOW))).toBe(expected);
  });

  it("allows with the acting company, not the owning one, and the key's own id, scopes and environment", () => {
    expect(decide(facts("globex"), integration, NOW)).toEqual({
      allow: true,
      keyId: "key_1",
      companyId: "globex",
      scopes: ["candidates:read", "jobs:*"],
      environment: "live",
    });
  });

  it("acts for nothing once every company is detached", () => {
    const empty = key({ kind: "integration", companyId: "platform", companyIds: [] });
    expect(outcome(decide(facts("acme"), empty, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts("platform"), empty, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts(null), empty, NOW))).toBe("company_required");
  });

  it("ignores memberships passed for a key that is not a user token", () => {
    const k = verifiedKey(
      keyRecord({ kind: "integration", companyId: "platform", companyIds: ["acme"] }),
      members(["globex"]),
    );
    expect(outcome(decide(facts("globex"), k, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts("acme"), k, NOW))).toBe("allow:acme");
  });

  it("proves who it is before the company is looked at, and the company before the scopes", () => {
    const revoked = key({ kind: "integration", companyIds: ["acme"], status: "revoked" });
    expect(outcome(decide(facts(null), revoked, NOW))).toBe("revoked_key");
    const expired = key({ kind: "integration", companyIds: ["acme"], expireTime: new Date(NOW - 1) });
    expect(outcome(decide(facts("initech"), expired, NOW))).toBe("expired_key");
    const walled = key({ kind: "integration", companyIds: ["acme"], ipAllowlist: ["10.0.0.0/8"] });
    expect(outcome(decide(facts(null), walled, NOW))).toBe("ip_not_allowed");
    const scoped = requestFactsFor({
      companySelector: "initech",
      route: { scopes: ["offers:write"], companyFrom: null, environment: null },
    });
    expect(outcome(decide(scoped, integration, NOW))).toBe("company_forbidden");
    expect(outcome(decide({ ...scoped, companySelector: "acme" }, integration, NOW))).toBe(
      "insufficient_scope",
    );
  });
});

describe("user tokens", () => {
  const member = userToken(["acme", "globex"]);

  it.each([
    ["no selector: the default company", null, undefined, "allow:acme"],
    ["selector names the default company", "acme", undefined, "allow:acme"],
    ["selector names another membership", "globex", undefined, "allow:globex"],
    ["selector names a company the user is not in", "initech", undefined, "company_forbidden"],
    ["selector in another case", "GLOBEX", undefined, "company_forbidden"],
    ["route names the selected membership", "globex", "globex", "allow:globex"],
    ["route names the default company, no selector", null, "acme", "allow:acme"],
    ["route names another membership than the default, no selector", null, "globex", "company_forbidden"],
    ["route disagrees with the selector", "acme", "globex", "company_forbidden"],
    ["route names a company the user is not in", "initech", "initech", "company_forbidden"],
    ["route sets company_from but the request yields none", "acme", null, "company_required"],
  ] as const)("%s: %s", (_, selector, routeCompany, expected) => {
    expect(outcome(decide(facts(selector, routeCompany), member, NOW))).toBe(expected);
  });

  it("stops acting for a company the user left", () => {
    const left = userToken(["acme"]);
    expect(outcome(decide(facts("globex"), left, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts(null), left, NOW))).toBe("allow:acme");
  });

  it("acts for nothing by default when the user left the default company, but still for a membership", () => {
    const left = userToken(["globex"]);
    expect(outcome(decide(facts(null), left, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts("acme"), left, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts("globex"), left, NOW))).toBe("allow:globex");
  });

  it("acts for nothing when the user belongs to no company", () => {
    const none = userToken([]);
    for (const selector of [null, "acme", "globex"]) {
      expect(outcome(decide(facts(selector), none, NOW))).toBe("company_forbidden");
    }
  });

  it("ignores an integration list on a user token: only memberships count", () => {
    const k = verifiedKey(
      keyRecord({ kind: "user", companyId: "acme", companyIds: ["initech"] }),
      members(["acme"]),
    );
    expect(outcome(decide(facts("initech"), k, NOW))).toBe("company_forbidden");
  });

  it("allows with the acting company and the token's own scopes", () => {
    expect(decide(facts("globex"), member, NOW)).toEqual({
      allow: true,
      keyId: "key_1",
      companyId: "globex",
      scopes: ["candidates:read", "jobs:*"],
      environment: "live",
    });
  });

  it("checks the status before the membership", () => {
    const suspended = verifiedKey(keyRecord({ kind: "user", status: "suspended" }), members(["acme"]));
    expect(outcome(decide(facts("initech"), suspended, NOW))).toBe("suspended_key");
  });
});

describe("standard keys are unchanged", () => {
  it.each([
    ["no selector", null, undefined, "allow:acme"],
    ["selector names its company", "acme", undefined, "allow:acme"],
    ["selector names another company", "globex", undefined, "company_forbidden"],
    ["route names its company", null, "acme", "allow:acme"],
    ["route names another company", null, "globex", "company_forbidden"],
    ["route and selector name its company", "acme", "acme", "allow:acme"],
  ] as const)("%s: %s", (_, selector, routeCompany, expected) => {
    expect(outcome(decide(facts(selector, routeCompany), key(), NOW))).toBe(expected);
  });

  it("never acts for a company listed or passed as a membership on a standard key", () => {
    const odd = verifiedKey(keyRecord({ kind: "standard", companyIds: ["globex"] }), members(["globex"]));
    expect(outcome(decide(facts("globex"), odd, NOW))).toBe("company_forbidden");
    expect(outcome(decide(facts(null), odd, NOW))).toBe("allow:acme");
  });
});

describe("from a real CheckRequest", () => {
  const read = (
    headers: Record<string, string>,
    contextExtensions: Record<string, string> = {},
    path = "/",
  ) =>
    requestFacts(
      checkRequest({ headers: { "x-api-key": "credential", ...headers }, contextExtensions, path }),
      factOptions("x-keyward-company"),
    );

  it("treats an empty selector header as absent", () => {
    expect(outcome(decide(read({ "x-keyward-company": "" }), integration, NOW))).toBe("company_required");
    expect(outcome(decide(read({ "x-keyward-company": "" }), userToken(["acme"]), NOW))).toBe("allow:acme");
  });

  it("matches the selector against the company in the path", () => {
    const route = { company_from: "path:/v1/companies/{company}/**" };
    const path = "/v1/companies/globex/jobs";
    expect(outcome(decide(read({ "x-keyward-company": "globex" }, route, path), integration, NOW))).toBe(
      "allow:globex",
    );
    expect(outcome(decide(read({ "x-keyward-company": "acme" }, route, path), integration, NOW))).toBe(
      "company_forbidden",
    );
    expect(outcome(decide(read({}, route, path), integration, NOW))).toBe("company_required");
  });

  it("reads the selector from a configured header name only", () => {
    const custom = (headers: Record<string, string>) =>
      requestFacts(
        checkRequest({ headers: { "x-api-key": "credential", ...headers } }),
        factOptions("x-tenant"),
      );
    expect(outcome(decide(custom({ "x-tenant": "globex" }), integration, NOW))).toBe("allow:globex");
    expect(outcome(decide(custom({ "x-keyward-company": "globex" }), integration, NOW))).toBe(
      "company_required",
    );
  });
});

describe("a user token holds, in each company, what that company's membership granted", () => {
  // The token itself holds everything its default company gave it; globex granted only reading candidates.
  const token = verifiedKey(keyRecord({ kind: "user", companyId: "acme", userId: "u1", scopes: ["*"] }), [
    { companyId: "acme", scopes: ["*"] },
    { companyId: "globex", scopes: ["candidates:read"] },
  ]);
  const scoped = (selector: string, scopes: string[]) =>
    requestFactsFor({ companySelector: selector, route: { scopes, companyFrom: null, environment: null } });

  it("acts for globex with the intersection only", () => {
    expect(outcome(decide(scoped("globex", ["candidates:read"]), token, NOW))).toBe("allow:globex");
    expect(outcome(decide(scoped("globex", ["candidates:write"]), token, NOW))).toBe("insufficient_scope");
    expect(outcome(decide(scoped("globex", ["jobs:read"]), token, NOW))).toBe("insufficient_scope");
    const allow = decide(scoped("globex", []), token, NOW);
    expect(allow.allow && allow.scopes).toEqual(["candidates:read"]);
  });

  it("acts for the default company with the token's own scopes", () => {
    expect(outcome(decide(scoped("acme", ["candidates:write"]), token, NOW))).toBe("allow:acme");
    const allow = decide(scoped("acme", []), token, NOW);
    expect(allow.allow && allow.scopes).toEqual(["*"]);
  });

  it("a membership with no scopes lets the token act only on routes that require none", () => {
    const bare = verifiedKey(keyRecord({ kind: "user", companyId: "acme", scopes: ["*"] }), [
      { companyId: "globex", scopes: [] },
    ]);
    expect(outcome(decide(scoped("globex", []), bare, NOW))).toBe("allow:globex");
    expect(outcome(decide(scoped("globex", ["a:b"]), bare, NOW))).toBe("insufficient_scope");
  });
});
