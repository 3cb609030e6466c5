import { describe, expect, it } from "vitest";
import { parseRouteSettings, type RouteSettings, RouteSettingsMemo } from "../../src/authz/route-settings.js";

function settings(scopes: string, companyFrom = "", environment = ""): RouteSettings {
  const parsed = parseRouteSettings(scopes, companyFrom, environment);
  if ("error" in parsed) throw new Error(`unexpected error: ${parsed.error}`);
  return parsed;
}

function error(scopes: string, companyFrom = "", environment = ""): string {
  const parsed = parseRouteSettings(scopes, companyFrom, environment);
  if (!("error" in parsed)) throw new Error("expected an error");
  return parsed.error;
}

describe("route setting scopes", () => {
  it("is no requirement when empty or blank", () => {
    expect(settings("").scopes).toEqual([]);
    expect(settings("   ").scopes).toEqual([]);
  });

  it("splits on any run of whitespace", () => {
    expect(settings("  a:read \t b:*\n*  keys:admin ").scopes).toEqual(["a:read", "b:*", "*", "keys:admin"]);
  });

  it.each(["A:read", "a:", ":b", "*:*", "a:b:c", "read"])(
    "refuses %j, naming the setting but not echoing it",
    (bad) => {
      const message = error(`ok:read ${bad}`);
      expect(message).toContain("scopes");
      expect(message).not.toContain(`"${bad}"`);
    },
  );
});

describe("route setting environment", () => {
  it.each(["live", "test"] as const)("accepts %s", (env) => {
    expect(settings("", "", env).environment).toBe(env);
  });

  it("is no requirement when empty", () => {
    expect(settings("").environment).toBeNull();
  });

  it.each(["prod", "LIVE", "Test", " live", "live test"])("refuses %j", (env) => {
    expect(error("", "", env)).toContain("environment");
  });
});

describe("route setting company_from", () => {
  it("is no requirement when empty", () => {
    expect(settings("").companyFrom).toBeNull();
  });

  it("reads header:<name>, lower-casing and trimming the name", () => {
    expect(settings("", "header:X-Tenant-Id").companyFrom).toEqual({ kind: "header", name: "x-tenant-id" });
    expect(settings("", "header: x-tenant ").companyFrom).toEqual({ kind: "header", name: "x-tenant" });
  });

  it.each(["header:", "header:  ", "header:x tenant", "header:x:tenant", "header:é", "header:a\nb"])(
    "refuses %j",
    (text) => {
      expect(error("", text)).toContain("company_from");
    },
  );

  it.each([
    ["path:/v1/companies/{company}/**", ["", "v1", "companies", "{company}", "**"]],
    ["path:/{company}", ["", "{company}"]],
    ["path:/v1/*/{company}/items", ["", "v1", "*", "{company}", "items"]],
    ["path: /v1/{company} ", ["", "v1", "{company}"]],
  ])("reads %j as a segment template", (text, template) => {
    expect(settings("", text).companyFrom).toEqual({ kind: "path", template });
  });

  it.each([
    "path:",
    "path:v1/{company}",
    "path:/v1/companies",
    "path:/v1/{company}/{company}",
    "path:/v1/{companyId}",
    "path:/v1/{Company}",
    "path:/v1/x{company}",
    "path:/v1/{other}/{company}",
    "path:/v1/**/{company}",
    "path:/v1/{company}/**/items",
    "query:company",
    "PATH:/v1/{company}",
    "Header:x-tenant",
    "/v1/{company}",
  ])("refuses %j", (text) => {
    expect(error("", text)).toContain("company_from");
  });

  it("reports the scopes problem before the others", () => {
    expect(error("BAD", "nonsense", "prod")).toContain("scopes");
    expect(error("", "nonsense", "prod")).toContain("environment");
  });
});

/** Route settings from context_extensions written as an object. */
const memo = new RouteSettingsMemo();
const routeSettings = (ext: Record<string, string>) => memo.get(new Map(Object.entries(ext)));

describe("routeSettings (from context_extensions)", () => {
  it("gives no requirements for an empty map or unrelated keys", () => {
    expect(routeSettings({})).toEqual({ scopes: [], companyFrom: null, environment: null });
    expect(routeSettings({ virtual_host: "api" })).toEqual({
      scopes: [],
      companyFrom: null,
      environment: null,
    });
  });

  it("reads all three settings", () => {
    expect(routeSettings({ scopes: "a:read", company_from: "header:x-tenant", environment: "test" })).toEqual(
      { scopes: ["a:read"], companyFrom: { kind: "header", name: "x-tenant" }, environment: "test" },
    );
  });

  it("returns the same parse for the same settings, errors included", () => {
    const ext = { scopes: "memo:read", company_from: "path:/m/{company}" };
    expect(routeSettings({ ...ext })).toBe(routeSettings({ ...ext }));
    const bad = { scopes: "MEMO" };
    expect(routeSettings({ ...bad })).toBe(routeSettings({ ...bad }));
    expect(routeSettings(bad)).toHaveProperty("error");
  });

  it("does not confuse settings that differ only in which field holds the text", () => {
    expect(routeSettings({ scopes: "a:b", environment: "" })).not.toEqual(
      routeSettings({ scopes: "", environment: "a:b" }),
    );
    expect(routeSettings({ environment: "a:b" })).toHaveProperty("error");
  });

  it("stays correct after more distinct settings than its memo holds", () => {
    for (let i = 0; i < 5000; i++) {
      const parsed = routeSettings({ scopes: `flood${i}:read` });
      if ("error" in parsed || parsed.scopes[0] !== `flood${i}:read`) throw new Error(`wrong parse at ${i}`);
    }
    expect(routeSettings({ scopes: "flood7:read" })).toEqual({
      scopes: ["flood7:read"],
      companyFrom: null,
      environment: null,
    });
  });
});

describe("route setting size caps", () => {
  const capped = new RouteSettingsMemo();
  const scopeList = (n: number, tag = "") =>
    Array.from({ length: n }, (_, i) => `r${i}${tag}:read`).join(" ");

  it("refuses a setting over its length cap before parsing it", () => {
    const huge = "candidates:read ".repeat(128 * 1024);
    expect(capped.get(new Map([["scopes", huge]]))).toEqual({
      error: "route setting scopes is too long",
    });
    expect(capped.get(new Map([["company_from", `header:${"x".repeat(2000)}`]]))).toEqual({
      error: "route setting company_from is too long",
    });
    expect(capped.get(new Map([["environment", "l".repeat(17)]]))).toEqual({
      error: "route setting environment is too long",
    });
  });

  it("reads up to 64 scopes and refuses 65", () => {
    expect(settings(scopeList(64)).scopes).toHaveLength(64);
    expect(error(scopeList(65))).toContain("more than 64 scopes");
    // 64 scopes of the longest form fit the length cap.
    const longest = Array.from(
      { length: 64 },
      (_, i) => `${"a".repeat(62)}${i.toString().padStart(2, "0")}:${"b".repeat(64)}`,
    );
    expect(settings(longest.join(" ")).scopes).toHaveLength(64);
  });

  it("bounds the memo by the text it keeps, not only by its entries", () => {
    // Distinct settings of about 8 KB each: a few thousand of them would be tens of megabytes.
    for (let i = 0; i < 600; i++) {
      expect(capped.get(new Map([["scopes", scopeList(60, `x${i}x${"y".repeat(50)}`)]]))).not.toHaveProperty(
        "error",
      );
      expect(capped.held.chars).toBeLessThanOrEqual(1024 * 1024 + 64 * 130);
    }
  });
});
