import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.js";
import { selfRevoke, useLeakApp } from "../helpers/leak-reports.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/** POST /leaks/revoke: whoever holds a key may kill it; the answer says nothing about what the keys were. */
const app = useLeakApp({ KEYWARD_LEAK_REVOKE_LIMIT: "1000/1m" });
const check = (secret: string) => app.check(secret);

/** Everything an answer shows a caller, minus the date. */
async function visible(res: Response) {
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (name !== "date") headers.push([name, value]);
  });
  return { status: res.status, headers, body: await res.text() };
}

describe("self-revocation", () => {
  it("revokes the keys it is given, and answers an unknown key exactly as a known one", async () => {
    const mine = await app.t.mintKey({ companyId: "acme" });
    const other = await app.t.mintKey({ companyId: "acme" });
    expect(await check(mine.secret)).toBe("allow");
    const known = await visible(await selfRevoke(app.t.adminUrl, [mine.secret]));
    const unknown = await visible(await selfRevoke(app.t.adminUrl, [generateKey("sk", "live")]));
    const junk = await visible(await selfRevoke(app.t.adminUrl, ["not a key at all"]));
    expect(known.status).toBe(202);
    expect(unknown).toEqual(known);
    expect(junk).toEqual(known);
    expect(await check(mine.secret)).toBe("revoked_key");
    expect(await check(other.secret)).toBe("allow");
    const key = await app.platform.getKey({ keyId: mine.id });
    expect([key.status, key.leakReport?.reporter, key.leakReport?.url]).toEqual(["revoked", "self", ""]);
    const leaked = (await app.platform.listAuditEvents({ keyId: mine.id })).events.find(
      (e) => e.action === "key.leaked",
    );
    expect(leaked?.actor).toBe("leak-report:self");
    expect(leaked?.sourceIp).toBe("127.0.0.1");
    // Again: 202, nothing more happens.
    expect((await selfRevoke(app.t.adminUrl, [mine.secret])).status).toBe(202);
    expect((await app.platform.listAuditEvents({ keyId: mine.id })).events).toHaveLength(3);
  });

  it("carries no admin authority: an admin key revokes itself and nothing else", async () => {
    const admin = await app.t.mintKey({ companyId: "acme", scopes: ["keys:admin"] });
    const sibling = await app.t.mintKey({ companyId: "acme" });
    const res = await fetch(`${app.t.adminUrl}/leaks/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ credentials: [admin.secret] }),
    });
    expect(res.status).toBe(202);
    expect(await check(admin.secret)).toBe("revoked_key");
    expect(await check(sibling.secret)).toBe("allow");
  });

  it("answers 400 for more than 100 keys or a malformed body, and revokes nothing", async () => {
    const mine = await app.t.mintKey({ companyId: "acme" });
    const fillers = Array.from({ length: 100 }, () => generateKey("sk", "live"));
    expect((await selfRevoke(app.t.adminUrl, [mine.secret, ...fillers])).status).toBe(400);
    const malformed = [
      "not json",
      "[]",
      JSON.stringify({ credentials: [] }),
      JSON.stringify({ credentials: mine.secret }),
      JSON.stringify({ credentials: [mine.secret, 7] }),
      JSON.stringify({ credentials: [mine.secret], also: true }),
    ];
    for (const raw of malformed) {
      const res = await selfRevoke(app.t.adminUrl, undefined, raw);
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain(mine.secret);
    }
    expect(await check(mine.secret)).toBe("allow");
    // Exactly 100 is allowed.
    expect((await selfRevoke(app.t.adminUrl, [mine.secret, ...fillers.slice(1)])).status).toBe(202);
    expect(await check(mine.secret)).toBe("revoked_key");
    expect(app.t.logs.join("\n")).not.toContain(mine.secret);
  });

  it("GitHub's and GitLab's endpoints are off until configured", async () => {
    expect((await fetch(`${app.t.adminUrl}/leaks/github`, { method: "POST", body: "[]" })).status).toBe(404);
    expect((await fetch(`${app.t.adminUrl}/leaks/gitlab/v1/revocable_token_types`)).status).toBe(404);
  });
});

describe("rate limit per source address", () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ env: { KEYWARD_LEAK_REVOKE_LIMIT: "3/1h" } });
  });
  afterAll(() => limited.close());

  it("answers 429 with retry-after once the address spent its budget, and revokes nothing then", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await selfRevoke(limited.adminUrl, [generateKey("sk", "live")])).status).toBe(202);
    }
    const mine = await limited.mintKey({ companyId: "acme" });
    const refused = await selfRevoke(limited.adminUrl, [mine.secret]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const key = await limited.app.ctx.keys.findById(mine.id);
    expect([key?.status, key?.leak]).toEqual(["active", null]);
  });
});
