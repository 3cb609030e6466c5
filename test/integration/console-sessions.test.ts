import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postConnectJson } from "../helpers/admin-clients.js";
import { sessionRpc, signIn } from "../helpers/console-session.js";
import { dropSchema, freshSchema, startTestApp, TEST_DATABASE, type TestApp } from "../helpers/test-app.js";

/**
 * Console sessions: an admin key buys an HttpOnly, SameSite=Strict cookie; calls riding on it act with that
 * key's rights, re-checked on every call (so suspending the key ends its sessions on every replica), and must
 * look like this origin's own RPCs.
 */
describe("console sessions", () => {
  let t: TestApp;
  /** A second replica on the same database (PostgreSQL only: an in-memory PGlite cannot be shared). */
  let other: TestApp | undefined;
  let admin: { secret: string; id: string };
  let now = Date.now();

  const schema = TEST_DATABASE === "postgres" ? freshSchema() : undefined;

  beforeAll(async () => {
    const clock = () => now;
    const env = { KEYWARD_CONSOLE_SESSION_TTL: "3h", KEYWARD_PEPPER: randomBytes(32).toString("hex") };
    t = await startTestApp({ now: clock, env, ...(schema ? { schema } : {}) });
    if (schema) other = await startTestApp({ now: clock, env, schema });
    admin = await t.mintKey({ companyId: "acme", scopes: ["keys:admin"], name: "ops" });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    if (schema) await dropSchema(schema);
  });

  it("answers a good admin key with a session cookie carrying the contract's attributes", async () => {
    const s = await signIn(t.adminUrl, admin.secret);
    expect(s.status).toBe(200);
    expect(s.cookie).toMatch(/^keyward_session=[A-Za-z0-9_-]{43}$/);
    const attrs = s.setCookie.split(";").map((p) => p.trim());
    expect(attrs).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Path=/"]));
    // Plain HTTP on loopback: a Secure cookie would never come back.
    expect(attrs).not.toContain("Secure");
    expect(s.headers.get("cache-control")).toBe("no-store");
    expect(s.setCookie).not.toContain(admin.secret);
  });

  it("refuses keys that are not admin keys, and garbage, without a cookie", async () => {
    const plain = await t.mintKey({ companyId: "acme", scopes: ["*"] });
    for (const key of [plain.secret, "sk_live_nope", `${admin.secret}x`]) {
      const s = await signIn(t.adminUrl, key);
      expect(s.status).toBe(401);
      expect(s.setCookie).toBe("");
    }
    const res = await fetch(`${t.adminUrl}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(400);
  });

  it("lets a cookie call the admin API as the admin key, and GetCaller says who that is", async () => {
    const s = await signIn(t.adminUrl, admin.secret);
    const caller = await sessionRpc(t.adminUrl, s.cookie, "GetCaller", {});
    expect(caller.status).toBe(200);
    expect(caller.body).toMatchObject({
      keyId: admin.id,
      companyId: "acme",
      scopes: ["keys:admin"],
      adminLevel: "company",
      keyName: "ops",
      authentication: "session",
    });
    expect(caller.headers.get("cache-control")).toBe("no-store");
    const bearer = await postConnectJson(t.adminUrl, "GetCaller", {}, admin.secret);
    expect(bearer.body).toMatchObject({ keyId: admin.id, authentication: "bearer" });
    expect(bearer.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses cookie calls that could come from another site or from a plain form", async () => {
    const s = await signIn(t.adminUrl, admin.secret);
    const refused: Record<string, string | null>[] = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { "sec-fetch-site": null, origin: "http://evil.example" },
      { "connect-protocol-version": null },
    ];
    for (const headers of refused) {
      const res = await sessionRpc(t.adminUrl, s.cookie, "ListKeys", {}, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body).toMatchObject({ code: "permission_denied" });
    }
    const sameOrigin = await sessionRpc(
      t.adminUrl,
      s.cookie,
      "ListKeys",
      {},
      {
        "sec-fetch-site": null,
        origin: t.adminUrl,
      },
    );
    expect(sameOrigin.status).toBe(200);
    const crossSignIn = await signIn(t.adminUrl, admin.secret, { "sec-fetch-site": "cross-site" });
    expect(crossSignIn.status).toBe(403);
    expect(crossSignIn.setCookie).toBe("");
  });

  it("ends a session on sign-out", async () => {
    const s = await signIn(t.adminUrl, admin.secret);
    const out = await fetch(`${t.adminUrl}/console/session`, {
      method: "DELETE",
      headers: { cookie: s.cookie, "sec-fetch-site": "same-origin" },
    });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^keyward_session=; .*Max-Age=0/);
    const after = await sessionRpc(t.adminUrl, s.cookie, "ListKeys", {});
    expect(after.status).toBe(401);
  });

  it("ends a session after an hour unused, and after its lifetime however used", async () => {
    const idle = await signIn(t.adminUrl, admin.secret);
    const busy = await signIn(t.adminUrl, admin.secret);
    for (let i = 0; i < 4; i++) {
      now += 50 * 60_000;
      const res = await sessionRpc(t.adminUrl, busy.cookie, "ListKeys", {});
      // 50, 100, 150 minutes: alive while used; 200 minutes: past the 3 h lifetime.
      expect(res.status, `after ${(i + 1) * 50} minutes`).toBe(i < 3 ? 200 : 401);
      if (i === 1) expect((await sessionRpc(t.adminUrl, idle.cookie, "ListKeys", {})).status).toBe(401);
    }
  });

  it("ends every session of an admin key the moment it is suspended, on every replica", async () => {
    const key = await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] });
    const s = await signIn(t.adminUrl, key.secret);
    const replicas = other ? [t, other] : [t];
    expect(replicas).toHaveLength(TEST_DATABASE === "postgres" ? 2 : 1);
    for (const r of replicas)
      expect((await sessionRpc(r.adminUrl, s.cookie, "ListKeys", {})).status).toBe(200);
    const suspended = await postConnectJson(
      t.adminUrl,
      "SuspendKey",
      { keyId: key.id, reason: "test" },
      admin.secret,
    );
    expect(suspended.status).toBe(200);
    for (const r of replicas) {
      const res = await sessionRpc(r.adminUrl, s.cookie, "ListKeys", {});
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: "unauthenticated" });
    }
  });

  it("never writes an admin key or a session id to the log", async () => {
    const s = await signIn(t.adminUrl, admin.secret);
    await sessionRpc(t.adminUrl, s.cookie, "ListKeys", {});
    await signIn(t.adminUrl, `${admin.secret}x`);
    const logs = t.logs.join("\n");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(admin.secret);
    expect(logs).not.toContain(s.cookie.split("=")[1]);
  });

  it("keeps bearer calls working with no CSRF headers at all", async () => {
    const res = await postConnectJson(t.adminUrl, "ListKeys", {}, admin.secret);
    expect(res.status).toBe(200);
  });
});
