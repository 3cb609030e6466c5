import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyClient, metadataField, okHeaders } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

describe("Check smoke", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  it("allows a valid key", async () => {
    const { secret, id } = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    const res = await envoy.check({
      path: "/v1/companies/acme/candidates?page=2",
      headers: { authorization: `Bearer ${secret}` },
      contextExtensions: { scopes: "candidates:read", company_from: "path:/v1/companies/{company}/**" },
    });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-key-id"]).toBe(id);
    expect(metadataField(res, "company_id")).toBe("acme");
  });
});
