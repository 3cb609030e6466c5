import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkBytes,
  denialText,
  deniedBody,
  EnvoyClient,
  type EnvoyRequest,
  type EnvoyResponse,
  encodeCheckRequest,
  leakedSecrets,
  okHeaders,
  outcomeCode,
  wellFormedKey,
} from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const COMPANY_PATH = "path:/v1/companies/{company}/**";
const MB = 1024 * 1024;
const INJECTIONS = [
  "'; drop table keys; --",
  "acme' OR '1'='1",
  "../globex",
  "%2e%2e",
  "acme%00",
  "ａｃｍｅ",
  "acme\u200b",
  "аcme",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, meant literally
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
];

function expectDenied(res: EnvoyResponse, code: string): void {
  expect(deniedBody(res).error.code).toBe(code);
  expect(res.status.code).not.toBe(0);
  expect(res.http_response).toBe("denied_response");
}

/** A protobuf length-delimited field, for hand-made requests Envoy's encoder would refuse to produce. */
function field(fieldNumber: number, payload: Buffer): Buffer {
  const tag = (fieldNumber << 3) | 2;
  const len: number[] = [];
  for (let n = payload.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([tag, ...len]), payload]);
}

describe("Check with odd requests", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  let acme: { secret: string; id: string };
  const secrets: string[] = [];
  const bearer = (r: EnvoyRequest = {}) =>
    envoy.check({ ...r, headers: { authorization: `Bearer ${acme.secret}`, ...r.headers } });

  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
    acme = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    secrets.push(acme.secret);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  describe("header_map encoding (encode_raw_headers)", () => {
    it("allows a key sent in header_map", async () => {
      const res = await envoy.check({
        path: "/v1/companies/acme/candidates",
        rawHeaders: [
          ["authorization", `Bearer ${acme.secret}`],
          ["accept", "*/*"],
        ],
        contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
      });
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-key-id"]).toBe(acme.id);
    });

    it("reads x-api-key and a company_from header from header_map", async () => {
      const res = await envoy.check({
        rawHeaders: [
          ["x-api-key", acme.secret],
          ["x-tenant", "acme"],
        ],
        contextExtensions: { company_from: "header:x-tenant" },
      });
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
    });

    it("allows repeated unrelated headers", async () => {
      const res = await envoy.check({
        rawHeaders: [
          ["accept", "text/html"],
          ["authorization", `Bearer ${acme.secret}`],
          ["accept", "application/json"],
          ["cookie", "a=1"],
          ["cookie", "b=2"],
        ],
      });
      expect(res.status.code).toBe(0);
    });

    it("denies a repeated authorization header, even with the same key twice", async () => {
      const twice: [string, string][] = [
        ["authorization", `Bearer ${acme.secret}`],
        ["authorization", `Bearer ${acme.secret}`],
      ];
      expectDenied(await envoy.check({ rawHeaders: twice }), "malformed_key");
      const two: [string, string][] = [
        ["authorization", `Bearer ${acme.secret}`],
        ["authorization", `Bearer ${wellFormedKey()}`],
      ];
      expectDenied(await envoy.check({ rawHeaders: two }), "malformed_key");
      const apiKeys: [string, string][] = [
        ["x-api-key", acme.secret],
        ["x-api-key", acme.secret],
      ];
      expectDenied(await envoy.check({ rawHeaders: apiKeys }), "malformed_key");
    });

    it("denies a repeated company selector or company_from header rather than picking one", async () => {
      const selector = await envoy.check({
        rawHeaders: [
          ["authorization", `Bearer ${acme.secret}`],
          ["x-keyward-company", "acme"],
          ["x-keyward-company", "globex"],
        ],
      });
      expectDenied(selector, "company_forbidden");
      const tenant = await envoy.check({
        rawHeaders: [
          ["authorization", `Bearer ${acme.secret}`],
          ["x-tenant", "acme"],
          ["x-tenant", "globex"],
        ],
        contextExtensions: { company_from: "header:x-tenant" },
      });
      expectDenied(tenant, "company_forbidden");
    });

    it("denies a credential with non-UTF-8 bytes as malformed", async () => {
      const broken = Buffer.concat([
        Buffer.from(`Bearer ${acme.secret.slice(0, 20)}`),
        Buffer.from([0xff, 0xfe]),
      ]);
      expectDenied(await envoy.check({ rawHeaders: [["authorization", broken]] }), "malformed_key");
      const apiKey = Buffer.concat([Buffer.from(acme.secret), Buffer.from([0xc3, 0x28])]);
      expectDenied(await envoy.check({ rawHeaders: [["x-api-key", apiKey]] }), "malformed_key");
    });

    it("denies a company selector with non-UTF-8 bytes, and ignores them in unrelated headers", async () => {
      const selector = await envoy.check({
        rawHeaders: [
          ["authorization", `Bearer ${acme.secret}`],
          ["x-keyward-company", Buffer.from([0x61, 0x63, 0x80, 0x65])],
        ],
      });
      expectDenied(selector, "company_forbidden");
      const unrelated = await envoy.check({
        rawHeaders: [
          ["authorization", `Bearer ${acme.secret}`],
          ["user-agent", Buffer.from([0xff, 0x00, 0xfe, 0xc0])],
        ],
      });
      expect(unrelated.status.code).toBe(0);
    });
  });

  describe("repeated authorization headers in the headers map (comma-joined by Envoy)", () => {
    it.each([
      ["the same key twice", () => `Bearer ${acme.secret},Bearer ${acme.secret}`],
      ["two keys with a space", () => `Bearer ${acme.secret}, Bearer ${wellFormedKey()}`],
      ["a key and a trailing comma", () => `Bearer ${acme.secret},`],
      ["a key and a Basic credential", () => `Bearer ${acme.secret},Basic dXNlcjpwYXNz`],
    ])("denies %s as malformed_key", async (_name, value) => {
      expectDenied(await envoy.check({ headers: { authorization: value() } }), "malformed_key");
    });
  });

  describe("huge header values", () => {
    it("denies a 1 MB authorization header as malformed_key", async () => {
      expectDenied(
        await envoy.check({ headers: { authorization: `Bearer ${"A".repeat(MB)}` } }),
        "malformed_key",
      );
    });

    it("denies a 1 MB x-api-key that starts with a valid key as malformed_key", async () => {
      const res = await envoy.check({ headers: { "x-api-key": `${acme.secret}${" ".repeat(MB)}x` } });
      expectDenied(res, "malformed_key");
    });

    it("allows a valid key next to a 1 MB unrelated header", async () => {
      const res = await bearer({ headers: { "x-big": "b".repeat(MB) } });
      expect(res.status.code).toBe(0);
    });

    it("denies a 1 MB company selector", async () => {
      expectDenied(await bearer({ headers: { "x-keyward-company": "a".repeat(MB) } }), "company_forbidden");
    });

    it("denies a 1 MB company segment in the path", async () => {
      const res = await bearer({
        path: `/v1/companies/${"a".repeat(MB)}/candidates`,
        contextExtensions: { company_from: COMPANY_PATH },
      });
      expectDenied(res, "company_required");
    });

    it("denies a 1 MB header_map credential as malformed_key", async () => {
      expectDenied(await envoy.check({ rawHeaders: [["authorization", "x".repeat(MB)]] }), "malformed_key");
    });
  });

  describe("injection strings", () => {
    it.each(INJECTIONS)("denies %j as the company in the path", async (company) => {
      const res = await bearer({
        path: `/v1/companies/${company}/candidates`,
        contextExtensions: { company_from: COMPANY_PATH },
      });
      // None of them is a company id, so the path names no company.
      expectDenied(res, "company_required");
    });

    it.each(INJECTIONS)("denies %j as the company selector or company_from header", async (company) => {
      expectDenied(await bearer({ headers: { "x-keyward-company": company } }), "company_forbidden");
      const res = await bearer({
        headers: { "x-tenant": company },
        contextExtensions: { company_from: "header:x-tenant" },
      });
      expectDenied(res, "company_forbidden");
    });

    it.each(INJECTIONS)("denies %j as the credential", async (credential) => {
      expectDenied(await envoy.check({ headers: { "x-api-key": credential } }), "malformed_key");
      expectDenied(
        await envoy.check({ headers: { authorization: `Bearer ${credential}` } }),
        "malformed_key",
      );
    });

    it.each([
      "/v1/companies/acme/../globex/candidates",
      "/v1/companies/acme/../../companies/globex",
      "/v1/companies/../companies/globex/candidates",
      "/v1/companies/acme/%2e%2e/%2e%2e/companies/globex",
      "/v1/companies/acme/%2E%2E/globex",
      "/v1/companies/acme%2fglobex/candidates",
      "/v1/companies/acme/.%2e/globex",
      "/v1/companies/acme/..%5cglobex",
      "/v1/companies/./acme/candidates",
    ])("denies the traversal %s with company_required, never acting for acme", async (path) => {
      expectDenied(
        await bearer({ path, contextExtensions: { company_from: COMPANY_PATH } }),
        "company_required",
      );
    });

    it("denies injection strings in the route settings as unsupported_request", async () => {
      const settings: Record<string, string>[] = [
        { scopes: "candidates:read'; drop table keys; --" },
        { company_from: "header:x-tenant'; drop table keys; --" },
        { company_from: "path:/v1/companies/{company}'; drop table keys; --/**" },
        { environment: "live'; --" },
      ];
      for (const ext of settings) {
        expectDenied(await bearer({ contextExtensions: ext }), "unsupported_request");
      }
    });

    it("still holds every key afterwards and ignores injection strings in the query", async () => {
      const res = await bearer({
        path: "/v1/companies/acme/candidates?q='; drop table keys; --&company=globex",
        contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
      });
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
      expect(await t.app.ctx.keys.findById(acme.id)).toMatchObject({ companyId: "acme", status: "active" });
    });
  });

  describe("requests that are not a valid CheckRequest", () => {
    it("answers a valid request sent as raw bytes like any other (control for the cases below)", async () => {
      const res = await checkBytes(
        t.authzAddress,
        encodeCheckRequest({ headers: { authorization: `Bearer ${acme.secret}` } }),
      );
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-key-id"]).toBe(acme.id);
    });

    const whole = () => encodeCheckRequest({ headers: { authorization: `Bearer ${acme.secret}` } });
    it.each([
      ["a length prefix past the end", () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
      ["an invalid wire type", () => Buffer.from([0x0f, 0x01, 0x02])],
      ["an HTTP/1.1 request line", () => Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
      [
        "a JSON body",
        () => Buffer.from(JSON.stringify({ attributes: { request: { http: { path: "/" } } } })),
      ],
      ["a truncated CheckRequest", () => whole().subarray(0, Math.floor(whole().length / 2))],
      ["a varint where the attributes message belongs", () => Buffer.from([0x08, 0x96, 0x01])],
      ["a never-ending varint", () => Buffer.from([0x08, ...Array<number>(16).fill(0xff)])],
      ["0xff bytes", () => Buffer.alloc(64, 0xff)],
    ])("denies %s with a non-zero status, not an RPC error", async (_name, bytes) => {
      const res = await checkBytes(t.authzAddress, bytes());
      expect(res.status.code).not.toBe(0);
      expect(res.ok_response).toBeFalsy();
      expect(res.http_response).toBe("denied_response");
      expect(deniedBody(res).error.code).toBe("unsupported_request");
    });

    it("denies an empty message (a CheckRequest with nothing set)", async () => {
      expectDenied(await checkBytes(t.authzAddress, Buffer.alloc(0)), "unsupported_request");
    });

    it("denies a headers map whose value is not valid UTF-8, whatever the decoder makes of it", async () => {
      const entry = Buffer.concat([
        field(1, Buffer.from("authorization")),
        field(
          2,
          Buffer.concat([Buffer.from(`Bearer ${acme.secret.slice(0, 30)}`), Buffer.from([0xff, 0xfe])]),
        ),
      ]);
      const http = Buffer.concat([field(3, entry), field(4, Buffer.from("/")), field(2, Buffer.from("GET"))]);
      const request = field(1, field(2, field(2, http)));
      const res = await checkBytes(t.authzAddress, request);
      expect(res.status.code).not.toBe(0);
      // The wire reader holds strings to strict UTF-8: the request is not one it can decide on.
      expectDenied(res, "unsupported_request");
    });
  });

  describe("oversized route settings", () => {
    it("a 2 MiB scopes setting is refused unsupported_request, with or without a key", async () => {
      const huge = "candidates:read ".repeat(128 * 1024);
      for (const headers of [{}, { authorization: `Bearer ${acme.secret}` }] as Record<string, string>[]) {
        const res = await envoy.check({ headers, contextExtensions: { scopes: huge } });
        expect(deniedBody(res).error.code).toBe("unsupported_request");
        expect(deniedBody(res).error.message).toContain("too long");
      }
      // The route's real settings still work afterwards.
      expect(outcomeCode(await bearer({ contextExtensions: { scopes: "candidates:read" } }))).toBe("allow");
    });

    it("a route requiring more than 64 scopes is refused; 64 are read", async () => {
      const scopes = (n: number) => Array.from({ length: n }, (_, i) => `r${i}:read`).join(" ");
      const over = await bearer({ contextExtensions: { scopes: scopes(65) } });
      expect(deniedBody(over).error.code).toBe("unsupported_request");
      const at = await bearer({ contextExtensions: { scopes: scopes(64) } });
      expect(deniedBody(at).error.code).toBe("insufficient_scope");
    });
  });

  it("answers many concurrent checks, each with its own verdict", async () => {
    const keys = await Promise.all(
      ["alpha", "beta", "gamma", "delta"].map((companyId) =>
        t.mintKey({ companyId, scopes: ["candidates:read"] }),
      ),
    );
    secrets.push(...keys.map((k) => k.secret));
    const jobs = Array.from({ length: 400 }, (_, i) => {
      const key = keys[i % keys.length] as { secret: string; id: string };
      const company = ["alpha", "beta", "gamma", "delta"][i % 4] as string;
      const kind = i % 5;
      const path = `/v1/companies/${kind === 1 ? "other" : company}/candidates`;
      const headers: Record<string, string> =
        kind === 2
          ? { authorization: `Bearer ${wellFormedKey()}` }
          : { authorization: `Bearer ${key.secret}` };
      return envoy
        .check({
          path,
          headers,
          contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
        })
        .then((res) => ({ i, kind, key, company, res }));
    });
    const results = await Promise.all(jobs);
    for (const { i, kind, key, company, res } of results) {
      if (kind === 1) expect(deniedBody(res).error.code, `#${i}`).toBe("company_forbidden");
      else if (kind === 2) expect(deniedBody(res).error.code, `#${i}`).toBe("invalid_key");
      else {
        expect(res.status.code, `#${i}`).toBe(0);
        expect(okHeaders(res)["x-keyward-key-id"], `#${i}`).toBe(key.id);
        expect(okHeaders(res)["x-keyward-company-id"], `#${i}`).toBe(company);
      }
    }
  });

  it("never shows a secret in a denial or a log line", () => {
    const denials = envoy.responses.filter((r) => r.status.code !== 0);
    expect(denials.length).toBeGreaterThan(50);
    expect(leakedSecrets(secrets, [...t.logs, ...denials.map(denialText)])).toEqual([]);
  });
});
