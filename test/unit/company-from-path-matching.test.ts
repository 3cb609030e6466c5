import { describe, expect, it } from "vitest";
import { companyFromPath, parseRouteSettings } from "../../src/authz/route-settings.js";
import { seededRandom } from "./support/seeded-random.js";

function template(text: string): readonly string[] {
  const parsed = parseRouteSettings("", `path:${text}`, "");
  if ("error" in parsed || parsed.companyFrom?.kind !== "path") throw new Error(`bad template ${text}`);
  return parsed.companyFrom.template;
}

const NESTED = template("/v1/companies/{company}/**");
const EXACT = template("/v1/companies/{company}");
const STAR = template("/v1/*/{company}/items");

describe("companyFromPath", () => {
  it.each([
    [NESTED, "/v1/companies/acme/jobs/42", "acme"],
    [NESTED, "/v1/companies/acme", "acme"],
    [NESTED, "/v1/companies/acme/", "acme"],
    [NESTED, "/v1/companies/Acme.Inc_2:eu-1/x", "Acme.Inc_2:eu-1"],
    [EXACT, "/v1/companies/acme", "acme"],
    [STAR, "/v1/anything/acme/items", "acme"],
    [template("/{company}"), "/acme", "acme"],
  ])("matches %j against %s", (t, path, company) => {
    expect(companyFromPath(t, path)).toBe(company);
  });

  it.each([
    [NESTED, "/v2/companies/acme/jobs"],
    [NESTED, "/v1/company/acme"],
    [NESTED, "/v1/companies"],
    [NESTED, "/v1/companies/"],
    [NESTED, "/V1/companies/acme"],
    [NESTED, "v1/companies/acme"],
    [NESTED, "//v1/companies/acme"],
    [NESTED, "/v1//companies/acme"],
    [NESTED, ""],
    [EXACT, "/v1/companies/acme/"],
    [EXACT, "/v1/companies/acme/jobs"],
    [EXACT, "/v1/companies"],
    [STAR, "/v1//acme/items"],
    [STAR, "/v1/x/acme"],
    [STAR, "/v1/x/acme/items/more"],
  ])("does not match %j with %s", (t, path) => {
    expect(companyFromPath(t, path)).toBeNull();
  });

  it.each([
    "/v1/companies//jobs",
    "/v1/companies/-acme/jobs",
    "/v1/companies/ac me/jobs",
    "/v1/companies/ac%20me/jobs",
    "/v1/companies/acme;x=1/jobs",
    "/v1/companies/ácme/jobs",
    `/v1/companies/${"a".repeat(129)}/jobs`,
  ])("refuses an invalid company segment in %s", (path) => {
    expect(companyFromPath(NESTED, path)).toBeNull();
  });

  it("accepts the longest company id and nothing longer", () => {
    const id = "a".repeat(128);
    expect(companyFromPath(NESTED, `/v1/companies/${id}`)).toBe(id);
  });

  it.each([
    "/v1/companies/acme/../other/jobs",
    "/v1/companies/acme/..",
    "/v1/companies/acme/./jobs",
    "/v1/companies/acme/jobs/..",
    "/v1/companies/../companies/acme",
    "/v1/./companies/acme",
    "/v1/companies/./acme",
    "/v1/companies/acme/%2e%2e/other",
    "/v1/companies/acme/%2E%2E/other",
    "/v1/companies/acme/.%2e/other",
    "/v1/companies/acme/x%2f..%2fother",
    "/v1/companies/acme/x%2F..%2Fother",
    "/v1/companies/acme/..%5cother",
    "/v1/companies/acme/..%5Cother",
    "/v1/companies/acme%2fjobs",
  ])("refuses dot segments and encoded dots or slashes anywhere: %s", (path) => {
    expect(companyFromPath(NESTED, path)).toBeNull();
  });

  it.each(["/v1/companies/acme/..\\other/jobs", "/v1/companies/acme/x\\..\\..\\other"])(
    "refuses a literal backslash, which some upstreams read as a slash: %s",
    (path) => {
      expect(companyFromPath(NESTED, path)).toBeNull();
    },
  );

  it("refuses dot segments even where a * would match them", () => {
    expect(companyFromPath(STAR, "/v1/../acme/items")).toBeNull();
    expect(companyFromPath(STAR, "/v1/%2e/acme/items")).toBeNull();
  });

  it("sees a query only if the caller left it on, so the caller strips it", () => {
    expect(companyFromPath(EXACT, "/v1/companies/acme?x=1")).toBeNull();
    expect(companyFromPath(NESTED, "/v1/companies/acme/jobs?x=1")).toBe("acme");
  });
});

describe("companyFromPath on generated paths", () => {
  /** The matching rule written plainly: every segment checked for dot segments, no shortcut. */
  function reference(t: readonly string[], path: string): string | null {
    const dot = (s: string) =>
      s === "." || s === ".." || s.startsWith(".;") || s.startsWith("..;") || /%(2e|2f|5c)|\\/i.test(s);
    const segments = path.split("/");
    let company: string | null = null;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === "**") return segments.slice(i).some(dot) ? null : company;
      const s = segments[i];
      if (s === undefined || dot(s)) return null;
      if (t[i] === "{company}") {
        if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(s)) return null;
        company = s;
      } else if (t[i] === "*") {
        if (s === "") return null;
      } else if (t[i] !== s) return null;
    }
    return segments.length === t.length ? company : null;
  }

  it("agrees with the plain rule on paths built from dots, escapes, slashes and names", () => {
    const pieces = [
      "v1",
      "companies",
      "acme",
      "jobs",
      "",
      ".",
      "..",
      ".;x",
      "..;",
      "%2e",
      "%2F",
      "%5c",
      "\\",
      "a.b",
      ".hidden",
      "x%41",
    ];
    const r = seededRandom(11);
    let matched = 0;
    for (let i = 0; i < 20_000; i++) {
      const segments = ["", "v1", "companies"];
      if (r.chance(0.5)) segments.push("acme");
      for (let n = r.int(4); n > 0; n--) segments.push(r.pick(pieces));
      if (r.chance(1 / 3)) segments[1 + r.int(2)] = r.pick(pieces);
      if (r.chance(0.1)) segments[0] = r.pick(pieces);
      const path = segments.join("/");
      for (const t of [NESTED, EXACT, STAR]) {
        const got = companyFromPath(t, path);
        expect(got, `${t.join("/")} on ${path}`).toBe(reference(t, path));
        if (got !== null) matched++;
      }
    }
    expect(matched).toBeGreaterThan(1000);
  });
});
