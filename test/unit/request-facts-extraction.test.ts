import { describe, expect, it } from "vitest";
import { factOptions, type RequestFacts, requestFacts } from "../../src/authz/request-facts.js";
import { parseAddress } from "../../src/keys/cidr.js";
import { parseKey } from "../../src/keys/format.js";
import { checkRequest, type RequestSpec } from "./support/check-request.js";

const OPTIONS = factOptions("x-keyward-company");
// Credential-shaped test values; request-facts only carries them, parsing happens later.
const KEY = "sk_test_factsFixture00000000000000000000000000000000000";
const OTHER = "sk_test_factsFixture11111111111111111111111111111111111";

function facts(spec: RequestSpec, options = OPTIONS): RequestFacts {
  return requestFacts(checkRequest(spec), options);
}

function credentialOf(headers: Record<string, string>): string | null | { problem: string } {
  const f = facts({ headers });
  return f.problem ? { problem: f.problem.code } : f.credential;
}

describe("bearer credentials", () => {
  it.each([
    `Bearer ${KEY}`,
    `bearer ${KEY}`,
    `BEARER ${KEY}`,
    `BeArEr ${KEY}`,
    `Bearer    ${KEY}`,
    `Bearer ${KEY}   `,
  ])("reads %j", (authorization) => {
    expect(credentialOf({ authorization })).toBe(KEY);
  });

  it.each([
    ["a Basic scheme", "Basic dXNlcjpwYXNz"],
    ["another scheme", `Token ${KEY}`],
    ["a scheme one letter from bearer", `Bearef ${KEY}`],
    ["a scheme with a look-alike letter", `\u0412earer ${KEY}`],
    ["a scheme with a letter whose low byte is B's", `\u0142earer ${KEY}`],
    ["no space after the scheme", `Bearer${KEY}`],
    ["a tab after the scheme", `Bearer\t${KEY}`],
    ["a leading space", ` Bearer ${KEY}`],
    ["a scheme alone", "Bearer"],
    ["a scheme and a space", "Bearer "],
    ["two tokens", `Bearer ${KEY} ${OTHER}`],
    ["repeated headers joined with a comma", `Bearer ${KEY},Bearer ${OTHER}`],
    ["a token with a trailing comma", `Bearer ${KEY},`],
    ["a bare key", KEY],
    ["the empty string", ""],
  ])("refuses %s as malformed", (_, authorization) => {
    expect(credentialOf({ authorization })).toEqual({ problem: "malformed_key" });
  });
});

describe("x-api-key credentials", () => {
  it("reads the header, trimmed", () => {
    expect(credentialOf({ "x-api-key": KEY })).toBe(KEY);
    expect(credentialOf({ "x-api-key": `  ${KEY}  ` })).toBe(KEY);
  });

  it("treats an empty header as no key", () => {
    expect(credentialOf({ "x-api-key": "" })).toEqual({ problem: "missing_key" });
    expect(credentialOf({ "x-api-key": "   " })).toEqual({ problem: "missing_key" });
  });

  it("carries a comma-joined repeated header on, where parseKey refuses it", () => {
    const f = facts({
      rawHeaders: [
        ["x-api-key", KEY],
        ["X-Api-Key", KEY],
      ],
    });
    expect(f.problem).toBeNull();
    expect(f.credential).toBe(`${KEY},${KEY}`);
    expect(parseKey(f.credential as string, "sk")).toBe("malformed");
  });
});

describe("both credential headers", () => {
  it("accepts the same key in both", () => {
    expect(credentialOf({ authorization: `Bearer ${KEY}`, "x-api-key": KEY })).toBe(KEY);
  });

  it("refuses two different keys rather than pick one", () => {
    expect(credentialOf({ authorization: `Bearer ${KEY}`, "x-api-key": OTHER })).toEqual({
      problem: "malformed_key",
    });
  });

  it("refuses a malformed bearer credential even beside a good x-api-key", () => {
    for (const authorization of ["Bearer", "Bearer a b", `Bearer ${KEY},${KEY}`, `bearer${KEY}`]) {
      expect(credentialOf({ authorization, "x-api-key": KEY }), authorization).toEqual({
        problem: "malformed_key",
      });
    }
  });

  it("reads x-api-key beside an authorization of another scheme, meant for the upstream", () => {
    expect(credentialOf({ authorization: "Basic dXNlcjpwYXNz", "x-api-key": KEY })).toBe(KEY);
    expect(credentialOf({ authorization: "Digest username=x", "x-api-key": KEY })).toBe(KEY);
    // Without a key beside it, another scheme is still a malformed credential, not a missing one.
    expect(credentialOf({ authorization: "Basic dXNlcjpwYXNz" })).toEqual({ problem: "malformed_key" });
  });
});

describe("x-api-key whitespace", () => {
  it("trims spaces and tabs only, never other Unicode spaces", () => {
    expect(credentialOf({ "x-api-key": `\t ${KEY} \t` })).toBe(KEY);
    for (const space of ["\u00a0", "\u3000", "\u2028", "\ufeff", "\u000b", "\u000c"]) {
      const got = credentialOf({ "x-api-key": `${space}${KEY}${space}` });
      expect(got, JSON.stringify(space)).not.toBe(KEY);
    }
  });
});

describe("missing and oversized credentials", () => {
  it("says missing_key when neither header is sent", () => {
    expect(credentialOf({})).toEqual({ problem: "missing_key" });
    expect(credentialOf({ cookie: `key=${KEY}` })).toEqual({ problem: "missing_key" });
  });

  it("reads a credential header of 512 characters and refuses one of 513", () => {
    const at = `Bearer ${"a".repeat(512 - 7)}`;
    expect(credentialOf({ authorization: at })).toBe("a".repeat(505));
    expect(credentialOf({ authorization: `${at}a` })).toEqual({ problem: "malformed_key" });
    expect(credentialOf({ "x-api-key": "b".repeat(512) })).toBe("b".repeat(512));
    expect(credentialOf({ "x-api-key": "b".repeat(513) })).toEqual({ problem: "malformed_key" });
  });

  it("refuses a huge header without a missing_key mix-up", () => {
    expect(credentialOf({ "x-api-key": "c".repeat(1_000_000) })).toEqual({ problem: "malformed_key" });
  });
});

describe("header_map (raw headers)", () => {
  it("reads raw_value bytes and lower-cases names", () => {
    const f = facts({
      rawHeaders: [
        ["Authorization", `Bearer ${KEY}`],
        ["X-Keyward-Company", "acme"],
      ],
    });
    expect(f.credential).toBe(KEY);
    expect(f.companySelector).toBe("acme");
  });

  it("falls back to the value field when raw_value is empty", () => {
    expect(facts({ valueHeaders: [["authorization", `Bearer ${KEY}`]] }).credential).toBe(KEY);
  });

  it("joins repeated headers with a comma, as Envoy's own map does", () => {
    const f = facts({
      rawHeaders: [
        ["x-keyward-company", "acme"],
        ["X-KEYWARD-COMPANY", "globex"],
      ],
    });
    expect(f.companySelector).toBe("acme,globex");
  });

  it("turns invalid UTF-8 into a value no key or company matches", () => {
    const bad = Uint8Array.from([0x61, 0xff, 0xfe, 0x62]);
    const f = facts({
      rawHeaders: [
        ["x-api-key", bad],
        ["x-keyward-company", bad],
      ],
    });
    expect(f.credential).toBe("!");
    expect(f.companySelector).toBe("!");
  });

  it("decodes valid multi-byte UTF-8", () => {
    expect(facts({ rawHeaders: [["x-keyward-company", "ácme"]] }).companySelector).toBe("ácme");
  });

  it("prefers header_map over the headers map when both are sent", () => {
    const f = facts({ headers: { "x-api-key": OTHER }, rawHeaders: [["x-api-key", KEY]] });
    expect(f.credential).toBe(KEY);
  });

  it("reads the headers map by the lower-case names Envoy always sends, and sees no other spelling", () => {
    expect(facts({ headers: { "x-api-key": KEY } }).credential).toBe(KEY);
    expect(facts({ headers: { "X-Api-Key": KEY } }).problem?.code).toBe("missing_key");
  });

  it("never mistakes an inherited object property for a header", () => {
    expect(facts({ headers: {} }, factOptions("constructor")).companySelector).toBeNull();
  });
});

describe("request attributes", () => {
  it("refuses a check without HTTP attributes as unsupported", () => {
    for (const f of [facts({ noHttp: true }), facts({ noAttributes: true })]) {
      expect(f.problem?.code).toBe("unsupported_request");
      expect(f.problem?.message).toMatch(/HTTP/);
      expect(f.credential).toBeNull();
    }
  });

  it("reads the source address as 16 bytes, IPv4 mapped", () => {
    expect(facts({ sourceIp: "10.1.2.3" }).sourceIp).toEqual(parseAddress("10.1.2.3"));
    expect(facts({ sourceIp: "2001:db8::1" }).sourceIp).toEqual(parseAddress("2001:db8::1"));
    expect(facts({ sourceIp: "fe80::1%eth0" }).sourceIp).toEqual(parseAddress("fe80::1"));
  });

  it("keeps the source address normalised, only when it parses", () => {
    expect(facts({ sourceIp: "10.1.2.3" }).sourceAddress).toBe("10.1.2.3");
    // IPv4-mapped IPv6 is its IPv4 address; a zone id (anything after %) is dropped.
    expect(facts({ sourceIp: "::ffff:10.1.2.3" }).sourceAddress).toBe("10.1.2.3");
    expect(facts({ sourceIp: `fe80::1%${"x".repeat(3000)}` }).sourceAddress).toBe("fe80::1");
    expect(facts({ sourceIp: "2001:DB8::1" })).toMatchObject({
      sourceAddress: "2001:db8::1",
      sourceKey: "2001:db8::/64",
    });
    expect(facts({ sourceIp: "not-an-ip" }).sourceAddress).toBeNull();
    expect(facts({ pipe: true }).sourceAddress).toBeNull();
    expect(facts({ noHttp: true, sourceIp: "10.1.2.3" }).sourceAddress).toBe("10.1.2.3");
  });

  it("has no source address when Envoy reports none, a pipe or an unparsable one", () => {
    expect(facts({ sourceIp: null, headers: { "x-api-key": KEY } }).sourceIp).toBeNull();
    expect(facts({ pipe: true }).sourceIp).toBeNull();
    expect(facts({ sourceIp: "not-an-ip" }).sourceIp).toBeNull();
    expect(facts({ sourceIp: null, headers: { "x-api-key": KEY } }).credential).toBe(KEY);
  });

  it("strips the query and fragment from the path and keeps the method", () => {
    expect(facts({ path: "/a/b?x=1&y=/c" }).path).toBe("/a/b");
    expect(facts({ path: "/a#frag?x" }).path).toBe("/a");
    expect(facts({ path: "/a?x#y" }).path).toBe("/a");
    expect(facts({ path: "?x" }).path).toBe("");
    const f = facts({ method: "PATCH", path: "/plain" });
    expect([f.method, f.path]).toEqual(["PATCH", "/plain"]);
  });
});

describe("company selector and route company", () => {
  it("reads the selector from the default header", () => {
    expect(facts({ headers: { "x-keyward-company": "acme" } }).companySelector).toBe("acme");
    expect(facts({}).companySelector).toBeNull();
  });

  it("reads the selector from a configured header name only", () => {
    const headers = { "x-tenant": "acme", "x-keyward-company": "globex" };
    expect(facts({ headers }, factOptions("x-tenant")).companySelector).toBe("acme");
  });

  it("has no route company when the route sets no company_from", () => {
    expect(facts({ path: "/v1/companies/acme" }).routeCompany).toBeUndefined();
  });

  it("reads the route company from a header, or null when absent", () => {
    const contextExtensions = { company_from: "header:X-Org" };
    expect(facts({ contextExtensions, headers: { "x-org": "acme" } }).routeCompany).toBe("acme");
    expect(facts({ contextExtensions }).routeCompany).toBeNull();
  });

  it("reads the route company from the path, after the query is stripped", () => {
    const contextExtensions = { company_from: "path:/v1/companies/{company}" };
    expect(facts({ contextExtensions, path: "/v1/companies/acme?x=/y" }).routeCompany).toBe("acme");
    expect(facts({ contextExtensions, path: "/v1/other/acme" }).routeCompany).toBeNull();
  });

  it("reads the route's scopes and environment", () => {
    const f = facts({ contextExtensions: { scopes: "a:read b:*", environment: "live" } });
    expect(f.route).toEqual({ scopes: ["a:read", "b:*"], companyFrom: null, environment: "live" });
  });

  it("refuses a misconfigured route as unsupported before looking for a key", () => {
    const f = facts({ contextExtensions: { company_from: "query:company" } });
    expect(f.problem?.code).toBe("unsupported_request");
    expect(f.problem?.message).toContain("company_from");
  });
});
