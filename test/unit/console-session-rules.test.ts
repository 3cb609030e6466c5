import { describe, expect, it } from "vitest";
import { clearedSessionCookie, readCookie, sessionCookie } from "../../src/admin/console/cookies.js";
import { crossSiteProblem, isRpcRequest } from "../../src/admin/console/csrf.js";
import { hashSessionId, isSessionId, newSessionId } from "../../src/admin/console/session-id.js";
import { needsTouch, sessionAlive } from "../../src/admin/console/session-policy.js";
import { loadConfig } from "../../src/config.js";

const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;

describe("console CSRF rules", () => {
  it("trusts Sec-Fetch-Site when the browser sends it", () => {
    expect(crossSiteProblem(headers({ "sec-fetch-site": "same-origin" }))).toBeNull();
    expect(
      crossSiteProblem(headers({ "sec-fetch-site": "cross-site", origin: "http://a:1", host: "a:1" })),
    ).toContain("cross-site");
    // Another port on the same host is the same site but not the same origin.
    expect(crossSiteProblem(headers({ "sec-fetch-site": "same-site" }))).toContain("same-site");
  });

  it("falls back to Origin against Host", () => {
    expect(crossSiteProblem(headers({ origin: "http://127.0.0.1:8181", host: "127.0.0.1:8181" }))).toBeNull();
    expect(
      crossSiteProblem(headers({ origin: "http://evil.example", host: "127.0.0.1:8181" })),
    ).not.toBeNull();
    expect(crossSiteProblem(headers({ origin: "null", host: "127.0.0.1:8181" }))).not.toBeNull();
  });

  it("knows an RPC by its protocol header or gRPC-Web content type, never by JSON alone", () => {
    expect(isRpcRequest(headers({ "connect-protocol-version": "1" }))).toBe(true);
    expect(isRpcRequest(headers({ "content-type": "application/grpc-web+proto" }))).toBe(true);
    expect(isRpcRequest(headers({ "content-type": "application/json" }))).toBe(false);
    expect(isRpcRequest(headers({ "content-type": "text/plain" }))).toBe(false);
  });
});

describe("console session cookie and ids", () => {
  it("sets HttpOnly, SameSite=Strict and Path=/, Secure only when asked", () => {
    expect(sessionCookie("abc", 60, false)).toBe(
      "keyward_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60",
    );
    expect(sessionCookie("abc", 60, true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toContain("Max-Age=0");
  });

  it("reads its cookie among others", () => {
    expect(readCookie("a=1; keyward_session=xyz; b=2", "keyward_session")).toBe("xyz");
    expect(readCookie("keyward_sessionx=1", "keyward_session")).toBeNull();
    expect(readCookie(null, "keyward_session")).toBeNull();
  });

  it("makes 256-bit ids and stores only their SHA-256", () => {
    const id = newSessionId();
    expect(isSessionId(id)).toBe(true);
    expect(isSessionId(`${id}x`)).toBe(false);
    expect(newSessionId()).not.toBe(id);
    expect(Buffer.from(hashSessionId(id)).toString("hex")).toHaveLength(64);
    expect(Buffer.from(hashSessionId(id)).toString("utf8")).not.toContain(id);
  });
});

describe("console session lifetime", () => {
  const session = (createdAgoMin: number, seenAgoMin: number, lifetimeMin: number, now: number) => ({
    keyId: "k",
    createTime: new Date(now - createdAgoMin * 60_000),
    lastSeenTime: new Date(now - seenAgoMin * 60_000),
    expireTime: new Date(now - createdAgoMin * 60_000 + lifetimeMin * 60_000),
  });
  const now = 1_000_000_000_000;

  it("lives until its end while used, and ends after an hour unused", () => {
    expect(sessionAlive(session(100, 5, 720, now), now)).toBe(true);
    expect(sessionAlive(session(100, 61, 720, now), now)).toBe(false);
    expect(sessionAlive(session(721, 1, 720, now), now)).toBe(false);
  });

  it("writes use back at most once a minute", () => {
    expect(needsTouch(session(10, 0.5, 720, now), now)).toBe(false);
    expect(needsTouch(session(10, 2, 720, now), now)).toBe(true);
  });

  it("reads KEYWARD_CONSOLE and KEYWARD_CONSOLE_SESSION_TTL", () => {
    const base = { KEYWARD_DATABASE_URL: "memory://" };
    expect(loadConfig(base)).toMatchObject({ console: true, consoleSessionTtlMs: 12 * 3_600_000 });
    expect(loadConfig({ ...base, KEYWARD_CONSOLE: "off", KEYWARD_CONSOLE_SESSION_TTL: "30m" })).toMatchObject(
      {
        console: false,
        consoleSessionTtlMs: 1_800_000,
      },
    );
    expect(() => loadConfig({ ...base, KEYWARD_CONSOLE: "no" })).toThrow(/KEYWARD_CONSOLE/);
    expect(() => loadConfig({ ...base, KEYWARD_CONSOLE_SESSION_TTL: "soon" })).toThrow(
      /KEYWARD_CONSOLE_SESSION_TTL/,
    );
  });
});
