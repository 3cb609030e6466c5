import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postConnectJson } from "../helpers/admin-clients.js";
import { signIn } from "../helpers/console-session.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/** KEYWARD_CONSOLE=off: no pages, no sign-in, no cookie sessions; the API is unchanged. */
describe("console turned off", () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_CONSOLE: "off" } });
    admin = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("serves neither the pages nor the redirect nor the sign-in", async () => {
    for (const path of ["/", "/console/", "/console/keys/x"]) {
      const res = await fetch(`${t.adminUrl}${path}`, { redirect: "manual" });
      expect(res.status, path).toBe(404);
    }
    expect((await signIn(t.adminUrl, admin)).setCookie).toBe("");
  });

  it("keeps bearer calls working", async () => {
    const res = await postConnectJson(t.adminUrl, "ListKeys", {}, admin);
    expect(res.status).toBe(200);
  });
});
