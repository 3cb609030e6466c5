import { describe, expect, it } from "vitest";
import { parseRouteQuery, RouteQueryMemo } from "../../src/authz/forward/route-query.js";
import { NO_REQUIREMENTS } from "../../src/authz/route-settings.js";

describe("route requirements from the auth URL's query", () => {
  it("reads the three settings with Check's grammar", () => {
    expect(parseRouteQuery("scopes=jobs:read+jobs:write&environment=test")).toEqual({
      scopes: ["jobs:read", "jobs:write"],
      companyFrom: null,
      environment: "test",
    });
    expect(parseRouteQuery(`company_from=${encodeURIComponent("path:/v1/{company}/**")}`)).toMatchObject({
      companyFrom: { kind: "path", template: ["", "v1", "{company}", "**"] },
    });
    expect(parseRouteQuery("company_from=header:X-Tenant")).toMatchObject({
      companyFrom: { kind: "header", name: "x-tenant" },
    });
  });

  it("refuses what it does not know instead of ignoring it", () => {
    for (const query of [
      "scope=a:read",
      "scopes=a:read&scopes=b:read",
      "environment=prod",
      "scopes=A",
      "x",
    ]) {
      expect(parseRouteQuery(query), query).toHaveProperty("error");
    }
  });

  it("has no requirements without a query, and memoises a bounded number of queries", () => {
    const memo = new RouteQueryMemo();
    expect(memo.get("")).toBe(NO_REQUIREMENTS);
    const first = memo.get("scopes=a:read");
    expect(memo.get("scopes=a:read")).toBe(first);
    for (let i = 0; i < 3000; i++) memo.get(`scopes=a${i}:read`);
    expect(memo.get("scopes=a:read")).toEqual(first);
    expect(memo.get(`scopes=${"a".repeat(40_000)}`)).toEqual({ error: "the auth URL's query is too long" });
  });
});
