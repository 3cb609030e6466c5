import type { ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  denialText,
  deniedBody,
  EnvoyClient,
  type EnvoyRequest,
  type EnvoyResponse,
  leakedSecrets,
  okHeaderOptions,
  okHeaders,
  wellFormedKey,
  withBrokenChecksum,
} from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const COMPANY_PATH = "path:/v1/companies/{company}/**";
const FORGED = {
  "x-keyward-key-id": "key_forged",
  "x-keyward-company-id": "globex",
  "x-keyward-scopes": "* keys:admin platform:admin",
  "x-keyward-environment": "test",
};

describe("Check security", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  let startupLogLines = 0;
  let acme: { secret: string; id: string };
  let globex: { secret: string; id: string };
  const secrets: string[] = [];
  const mint = async (spec: Parameters<TestApp["mintKey"]>[0]) => {
    const key = await t.mintKey(spec);
    secrets.push(key.secret);
    return key;
  };
  const bearer = (secret: string, r: EnvoyRequest = {}) =>
    envoy.check({ ...r, headers: { authorization: `Bearer ${secret}`, ...r.headers } });

  beforeAll(async () => {
    t = await startTestApp();
    startupLogLines = t.logs.length;
    envoy = new EnvoyClient(t.authzAddress);
    acme = await mint({ companyId: "acme", scopes: ["candidates:read"] });
    globex = await mint({ companyId: "globex", scopes: ["candidates:read"] });
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  describe("identity headers", () => {
    /** The allow overwrites every identity header with Keyward's own value, whatever the client sent. */
    function expectKeywardIdentity(res: EnvoyResponse): void {
      expect(res.status.code).toBe(0);
      const options = okHeaderOptions(res);
      const expected = {
        "x-keyward-key-id": acme.id,
        "x-keyward-company-id": "acme",
        "x-keyward-scopes": "candidates:read",
        "x-keyward-environment": "live",
      };
      for (const [name, value] of Object.entries(expected)) {
        expect(options[name], name).toEqual({
          value,
          append: { value: false },
          append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
        });
      }
      expect([...(res.ok_response?.headers_to_remove ?? [])].sort()).toEqual(["authorization", "x-api-key"]);
    }

    it("overwrites client-sent x-keyward-company-id and the other identity headers", async () => {
      const res = await bearer(acme.secret, {
        path: "/v1/companies/acme/candidates",
        headers: FORGED,
        contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
      });
      expectKeywardIdentity(res);
    });

    it("overwrites forged identity headers sent in header_map, in any case, even repeated", async () => {
      const res = await envoy.check({
        rawHeaders: [
          ["X-Keyward-Company-Id", "globex"],
          ["authorization", `Bearer ${acme.secret}`],
          ["x-keyward-company-id", "initech"],
          ...Object.entries(FORGED),
        ],
      });
      expectKeywardIdentity(res);
    });

    it("grants nothing to forged identity headers without a key", async () => {
      const res = await envoy.check({ headers: FORGED });
      expect(res.status.code).toBe(16);
      expect(deniedBody(res).error.code).toBe("missing_key");
    });
  });

  describe("tenancy and environment", () => {
    it("denies company A's key on company B's path, header and selector", async () => {
      const onPath = await bearer(acme.secret, {
        path: "/v1/companies/globex/candidates",
        contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
      });
      expect(deniedBody(onPath).error.code).toBe("company_forbidden");
      expect(onPath.status.code).toBe(7);
      const onHeader = await bearer(acme.secret, {
        headers: { "x-tenant": "globex" },
        contextExtensions: { company_from: "header:x-tenant" },
      });
      expect(deniedBody(onHeader).error.code).toBe("company_forbidden");
      const bySelector = await bearer(acme.secret, { headers: { "x-keyward-company": "globex" } });
      expect(deniedBody(bySelector).error.code).toBe("company_forbidden");
      // And B's own key is allowed there: the denial is about the key, not the path.
      const own = await bearer(globex.secret, {
        path: "/v1/companies/globex/candidates",
        contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
      });
      expect(okHeaders(own)["x-keyward-company-id"]).toBe("globex");
    });

    it("denies a test key on a live route, whatever it claims in headers", async () => {
      const test = await mint({ companyId: "acme", scopes: ["*"], environment: "test" });
      const res = await bearer(test.secret, {
        headers: { "x-keyward-environment": "live" },
        contextExtensions: { environment: "live" },
      });
      expect(res.status.code).toBe(7);
      expect(deniedBody(res).error.code).toBe("environment_mismatch");
    });

    it("reveals neither the key id nor its company in a denial", async () => {
      const res = await bearer(acme.secret, {
        path: "/v1/companies/globex/x",
        contextExtensions: { company_from: COMPANY_PATH },
      });
      expect(res.status.code).toBe(7);
      expect(denialText(res)).not.toContain(acme.id);
      expect(denialText(res)).not.toContain("acme");
    });
  });

  it("never shows a secret in a log line or a denial, wherever the secret was sent", async () => {
    const expired = await mint({ companyId: "acme", expireTime: new Date(Date.now() - 1000) });
    const suspended = await mint({ companyId: "acme" });
    await t.app.ctx.keys.update(suspended.id, { status: "suspended" }, new Date());
    const revoked = await mint({ companyId: "acme" });
    await t.app.ctx.keys.update(revoked.id, { status: "revoked", revokeTime: new Date() }, new Date());
    const fenced = await mint({ companyId: "acme", ipAllowlist: ["10.0.0.0/8"] });
    const s = acme.secret;
    const requests: EnvoyRequest[] = [
      { headers: { authorization: `Bearer ${withBrokenChecksum(s)}` } },
      { headers: { authorization: `Basic ${Buffer.from(`u:${s}`).toString("base64")}` } },
      { headers: { authorization: `Basic ${s}` } },
      { headers: { authorization: s } },
      { headers: { authorization: `Bearer ${s},Bearer ${s}` } },
      { headers: { authorization: `Bearer ${s}`, "x-api-key": globex.secret } },
      { headers: { authorization: `Bearer ${s.slice(0, -1)}` } },
      { headers: { authorization: `Bearer ${s}x` } },
      { headers: { "x-api-key": `${s}${" ".repeat(600)}` } },
      { headers: { "x-keyward-company": s }, path: `/v1/companies/acme/x?key=${s}` },
      { headers: { authorization: `Bearer ${s}`, "x-keyward-company": s } },
      {
        headers: { authorization: `Bearer ${s}`, "x-tenant": s },
        contextExtensions: { company_from: "header:x-tenant" },
      },
      { headers: { authorization: `Bearer ${s}` }, contextExtensions: { scopes: "jobs:write" } },
      { headers: { authorization: `Bearer ${s}` }, contextExtensions: { environment: "test" } },
      { headers: { authorization: `Bearer ${s}` }, contextExtensions: { company_from: `header:${s}` } },
      { headers: { authorization: `Bearer ${s}` }, noHttp: true },
      { rawHeaders: [["authorization", Buffer.concat([Buffer.from(`Bearer ${s}`), Buffer.from([0xff])])]] },
      { headers: { authorization: `Bearer ${expired.secret}` } },
      { headers: { authorization: `Bearer ${suspended.secret}` } },
      { headers: { "x-api-key": revoked.secret } },
      { headers: { authorization: `Bearer ${fenced.secret}` }, sourceIp: "192.0.2.1" },
      { headers: { authorization: `Bearer ${fenced.secret}` }, sourceIp: null },
    ];
    const codes = new Set<string>();
    for (const r of requests) {
      const res = await envoy.check(r);
      expect(res.status.code, JSON.stringify(r).slice(0, 200)).not.toBe(0);
      codes.add(deniedBody(res).error.code);
    }
    expect([...codes].sort()).toEqual(
      [
        "company_forbidden",
        "company_required",
        "environment_mismatch",
        "expired_key",
        "insufficient_scope",
        "ip_not_allowed",
        "malformed_key",
        "missing_key",
        "revoked_key",
        "suspended_key",
        "unsupported_request",
      ].sort(),
    );
    const denials = envoy.responses.filter((r) => r.status.code !== 0);
    expect(denials.length).toBeGreaterThanOrEqual(requests.length);
    expect(t.logs.length).toBeGreaterThan(startupLogLines);
    expect(leakedSecrets(secrets, [...t.logs, ...denials.map(denialText)])).toEqual([]);
  });

  describe("offline rejection", () => {
    let cut: TestApp;
    let cutEnvoy: EnvoyClient;
    let unseen: { secret: string; id: string };
    beforeAll(async () => {
      cut = await startTestApp();
      cutEnvoy = new EnvoyClient(cut.authzAddress);
      const seen = await cut.mintKey({ companyId: "acme" });
      unseen = await cut.mintKey({ companyId: "acme" });
      secrets.push(seen.secret, unseen.secret);
      expect(
        (await cutEnvoy.check({ headers: { authorization: `Bearer ${seen.secret}` } })).status.code,
      ).toBe(0);
      await cut.app.ctx.database.close();
    });
    afterAll(async () => {
      cutEnvoy.close();
      // The database is already closed on purpose; closing it again may complain, and that is expected here.
      await cut.close().catch(() => undefined);
    });

    it("fails a well-formed key as an outage (RPC error) once the database is gone", async () => {
      for (const secret of [unseen.secret, wellFormedKey()]) {
        const err = await cutEnvoy.check({ headers: { authorization: `Bearer ${secret}` } }).then(
          () => null,
          (e: ServiceError) => e,
        );
        expect(err?.code).toBe(14);
      }
    });

    it("still rejects a broken checksum as malformed_key with no database: it never queried one", async () => {
      for (const credential of [
        withBrokenChecksum(unseen.secret),
        withBrokenChecksum(wellFormedKey("test")),
      ]) {
        const res = await cutEnvoy.check({ headers: { authorization: `Bearer ${credential}` } });
        expect(res.status.code).toBe(16);
        expect(deniedBody(res).error.code).toBe("malformed_key");
      }
    });

    it("still rejects other offline-detectable credentials with no database", async () => {
      const cases: [Record<string, string>, string][] = [
        [{}, "missing_key"],
        [{ authorization: "Bearer nope" }, "malformed_key"],
        [{ authorization: `Bearer ${wellFormedKey("live", "pk")}` }, "malformed_key"],
        [{ "x-api-key": "x".repeat(10_000) }, "malformed_key"],
        [{ authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }, "malformed_key"],
      ];
      for (const [headers, code] of cases) {
        const res = await cutEnvoy.check({ headers });
        expect(deniedBody(res).error.code).toBe(code);
      }
    });

    it("logs the outage without the secret", () => {
      expect(cut.logs.some((l) => l.includes("check failed"))).toBe(true);
      expect(leakedSecrets([unseen.secret], cut.logs)).toEqual([]);
    });
  });
});
