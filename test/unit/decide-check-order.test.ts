import { describe, expect, it } from "vitest";
import { decide } from "../../src/authz/decide.js";
import type { DenyCode } from "../../src/authz/decision.js";
import type { RequestFacts } from "../../src/authz/request-facts.js";
import type { VerifiedKey } from "../../src/authz/verified-key.js";
import { parseAddress } from "../../src/keys/cidr.js";
import type { KeyStatus } from "../../src/keys/key-record.js";
import { key, NOW, requestFactsFor } from "./support/decision-inputs.js";

/**
 * Every combination of the things decide looks at, with the answer the documented order of checks gives:
 * request problems, then who the key is (unknown, revoked, suspended, expired), then where it may be used
 * (IP, environment, company), then what it may do (scopes).
 */
const PROBLEMS = [null, "missing_key", "malformed_key", "unsupported_request"] as const;
const STATUSES: KeyStatus[] = ["active", "suspended", "revoked"];
const EXPIRIES = ["never", "past", "now", "future"] as const;
const IPS = ["unrestricted", "allowed", "outside", "no-source"] as const;
const ENVIRONMENTS = ["any", "match", "mismatch"] as const;
const ROUTE_COMPANIES = ["unset", "absent", "same", "other"] as const;
const SELECTORS = ["none", "same", "other"] as const;
const SCOPES = ["none", "held", "missing"] as const;

interface Case {
  problem: (typeof PROBLEMS)[number];
  hasKey: boolean;
  status: KeyStatus;
  expiry: (typeof EXPIRIES)[number];
  ip: (typeof IPS)[number];
  environment: (typeof ENVIRONMENTS)[number];
  routeCompany: (typeof ROUTE_COMPANIES)[number];
  selector: (typeof SELECTORS)[number];
  scopes: (typeof SCOPES)[number];
}

function expected(c: Case): DenyCode | "allow" {
  if (c.problem) return c.problem;
  if (!c.hasKey) return "invalid_key";
  if (c.status === "revoked") return "revoked_key";
  if (c.status === "suspended") return "suspended_key";
  if (c.expiry === "past" || c.expiry === "now") return "expired_key";
  if (c.ip === "outside" || c.ip === "no-source") return "ip_not_allowed";
  if (c.environment === "mismatch") return "environment_mismatch";
  if (c.routeCompany === "absent") return "company_required";
  if (c.routeCompany === "other" || c.selector === "other") return "company_forbidden";
  if (c.scopes === "missing") return "insufficient_scope";
  return "allow";
}

function build(c: Case): { facts: RequestFacts; key: VerifiedKey | undefined } {
  const k = key({
    status: c.status,
    environment: "live",
    companyId: "acme",
    scopes: ["candidates:read", "jobs:*"],
    expireTime: { never: null, past: new Date(NOW - 1), now: new Date(NOW), future: new Date(NOW + 1) }[
      c.expiry
    ],
    ipAllowlist: c.ip === "unrestricted" ? [] : ["203.0.113.0/24", "2001:db8::/32"],
  });
  const facts = requestFactsFor({
    problem: c.problem ? { code: c.problem } : null,
    sourceIp:
      c.ip === "no-source"
        ? null
        : (parseAddress(c.ip === "outside" ? "198.51.100.1" : "203.0.113.7") ?? null),
    routeCompany: { unset: undefined, absent: null, same: "acme", other: "globex" }[c.routeCompany],
    companySelector: { none: null, same: "acme", other: "globex" }[c.selector],
    route: {
      scopes: {
        none: [],
        held: ["jobs:write", "candidates:read"],
        missing: ["candidates:read", "offers:read"],
      }[c.scopes],
      companyFrom: null,
      environment: { any: null, match: "live" as const, mismatch: "test" as const }[c.environment],
    },
  });
  return { facts, key: c.hasKey ? k : undefined };
}

function* cases(): Generator<Case> {
  for (const problem of PROBLEMS)
    for (const hasKey of [true, false])
      for (const status of STATUSES)
        for (const expiry of EXPIRIES)
          for (const ip of IPS)
            for (const environment of ENVIRONMENTS)
              for (const routeCompany of ROUTE_COMPANIES)
                for (const selector of SELECTORS)
                  for (const scopes of SCOPES)
                    yield {
                      problem,
                      hasKey,
                      status,
                      expiry,
                      ip,
                      environment,
                      routeCompany,
                      selector,
                      scopes,
                    };
}

describe("decide over every combination of inputs", () => {
  it("gives the outcome of the documented check order", () => {
    const seen = new Map<string, number>();
    let count = 0;
    for (const c of cases()) {
      const { facts, key: k } = build(c);
      const decision = decide(facts, k, NOW);
      const outcome = decision.allow ? "allow" : decision.code;
      if (outcome !== expected(c)) {
        throw new Error(`${JSON.stringify(c)}: expected ${expected(c)}, got ${outcome}`);
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      count++;
    }
    expect(count).toBe(4 * 2 * 3 * 4 * 4 * 3 * 4 * 3 * 3);
    // Every outcome decide can reach is reached by some combination.
    expect([...seen.keys()].sort()).toEqual(
      [
        "allow",
        "company_forbidden",
        "company_required",
        "environment_mismatch",
        "expired_key",
        "insufficient_scope",
        "invalid_key",
        "ip_not_allowed",
        "malformed_key",
        "missing_key",
        "revoked_key",
        "suspended_key",
        "unsupported_request",
      ].sort(),
    );
  });
});

describe("decide: pairwise order of checks", () => {
  const outcome = (facts: RequestFacts, k: VerifiedKey | undefined) => {
    const d = decide(facts, k, NOW);
    return d.allow ? "allow" : d.code;
  };
  const everythingWrong = requestFactsFor({
    sourceIp: parseAddress("198.51.100.1") ?? null,
    routeCompany: "globex",
    companySelector: "globex",
    route: { scopes: ["offers:read"], companyFrom: null, environment: "test" },
  });
  const restricted = { ipAllowlist: ["203.0.113.0/24"] };

  it.each([
    ["revoked before expired", { status: "revoked" as const, expireTime: new Date(0) }, "revoked_key"],
    ["suspended before expired", { status: "suspended" as const, expireTime: new Date(0) }, "suspended_key"],
    ["expired before the IP check", { expireTime: new Date(0), ...restricted }, "expired_key"],
    ["IP before environment", restricted, "ip_not_allowed"],
    ["environment before company", {}, "environment_mismatch"],
  ])("%s", (_, overrides, code) => {
    expect(outcome(everythingWrong, key(overrides))).toBe(code);
  });

  it("company before scopes", () => {
    const facts = { ...everythingWrong, route: { ...everythingWrong.route, environment: null } };
    expect(outcome(facts, key())).toBe("company_forbidden");
    expect(outcome({ ...facts, routeCompany: null }, key())).toBe("company_required");
    expect(outcome({ ...facts, routeCompany: "acme", companySelector: null }, key())).toBe(
      "insufficient_scope",
    );
  });

  it("reports a request problem before looking at the key at all", () => {
    const facts = requestFactsFor({ problem: { code: "unsupported_request", message: "The route is bad." } });
    const d = decide(facts, undefined, NOW);
    expect(d).toMatchObject({ allow: false, code: "unsupported_request", message: "The route is bad." });
    expect(decide(requestFactsFor({ problem: { code: "missing_key" } }), key(), NOW)).toMatchObject({
      code: "missing_key",
      message: expect.stringContaining("Bearer"),
    });
  });
});
