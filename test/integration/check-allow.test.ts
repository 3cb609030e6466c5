import { beforeAll, describe, expect, it } from "vitest";
import { leakedSecrets, metadataField, okHeaderOptions, okHeaders } from "../helpers/envoy-client.js";
import { useCheckApp } from "../helpers/harness.js";

const COMPANY_PATH = "path:/v1/companies/{company}/**";
const IDENTITY = ["x-keyward-key-id", "x-keyward-company-id", "x-keyward-scopes", "x-keyward-environment"];

describe("Check allow", () => {
  const h = useCheckApp();
  const { mint, secrets } = h;
  let startupLogLines = 0;

  beforeAll(() => {
    startupLogLines = h.t.logs.length;
  });

  it("allows a bearer key and tells the upstream who called, with overwrite semantics", async () => {
    const { secret, id } = await mint({ companyId: "acme", scopes: ["candidates:read", "jobs:write"] });
    const res = await h.envoy.check({
      path: "/v1/companies/acme/candidates?page=2",
      headers: { authorization: `Bearer ${secret}` },
      contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH, environment: "live" },
    });
    expect(res.status.code).toBe(0);
    expect(res.http_response).toBe("ok_response");
    expect(res.denied_response).toBeFalsy();
    expect(okHeaders(res)).toEqual({
      "x-keyward-key-id": id,
      "x-keyward-company-id": "acme",
      "x-keyward-scopes": "candidates:read jobs:write",
      "x-keyward-environment": "live",
    });
    const options = okHeaderOptions(res);
    for (const name of IDENTITY) {
      expect(options[name]?.append, name).toEqual({ value: false });
      expect(options[name]?.append_action, name).toBe("OVERWRITE_IF_EXISTS_OR_ADD");
    }
    expect([...(res.ok_response?.headers_to_remove ?? [])].sort()).toEqual(["authorization", "x-api-key"]);
  });

  it("puts key_id, company_id, environment and scopes in the top-level dynamic_metadata", async () => {
    const { secret, id } = await mint({ companyId: "globex", scopes: ["candidates:*"], environment: "test" });
    const res = await h.envoy.check({ headers: { authorization: `Bearer ${secret}` } });
    expect(res.status.code).toBe(0);
    expect(metadataField(res, "key_id")).toBe(id);
    expect(metadataField(res, "company_id")).toBe("globex");
    expect(metadataField(res, "environment")).toBe("test");
    expect(metadataField(res, "scopes")).toBe("candidates:*");
    expect(okHeaders(res)["x-keyward-environment"]).toBe("test");
  });

  it("accepts the key in x-api-key and still strips both credential headers", async () => {
    const { secret, id } = await mint({ companyId: "acme", scopes: ["candidates:read"] });
    const res = await h.envoy.check({
      path: "/v1/companies/acme/candidates",
      headers: { "x-api-key": secret },
      contextExtensions: { scopes: "candidates:read", company_from: COMPANY_PATH },
    });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-key-id"]).toBe(id);
    expect([...(res.ok_response?.headers_to_remove ?? [])].sort()).toEqual(["authorization", "x-api-key"]);
  });

  it("accepts the same key sent in both authorization and x-api-key", async () => {
    const { secret, id } = await mint({ companyId: "acme" });
    const res = await h.envoy.check({ headers: { authorization: `Bearer ${secret}`, "x-api-key": secret } });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-key-id"]).toBe(id);
  });

  it("reads the bearer scheme case-insensitively", async () => {
    const { secret, id } = await mint({ companyId: "acme" });
    const res = await h.envoy.check({ headers: { authorization: `bearer ${secret}` } });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-key-id"]).toBe(id);
  });

  it("allows a key with no scopes on a route that requires none, with an empty scopes header", async () => {
    const { secret } = await mint({ companyId: "initech" });
    const res = await h.envoy.check({
      method: "POST",
      path: "/anything",
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-scopes"]).toBe("");
    expect(okHeaders(res)["x-keyward-company-id"]).toBe("initech");
  });

  it("allows the company from a header route and a matching x-keyward-company selector", async () => {
    const { secret } = await mint({ companyId: "acme", scopes: ["candidates:read"] });
    const res = await h.envoy.check({
      headers: { authorization: `Bearer ${secret}`, "x-tenant": "acme", "x-keyward-company": "acme" },
      contextExtensions: { scopes: "candidates:read", company_from: "header:x-tenant" },
    });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
  });

  it("allows a key whose expiry is still ahead", async () => {
    const { secret } = await mint({ companyId: "acme", expireTime: new Date(Date.now() + 3_600_000) });
    const res = await h.envoy.check({ headers: { authorization: `Bearer ${secret}` } });
    expect(res.status.code).toBe(0);
  });

  it("never writes a secret minted in this suite to a log line", () => {
    // The checks above were logged (debug level), so the search below has something to search.
    expect(h.t.logs.length).toBeGreaterThan(startupLogLines);
    expect(leakedSecrets(secrets, h.t.logs)).toEqual([]);
  });
});
