import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS } from "../../src/admin/console/sign-in-limit.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/** A console sign-in sent from the loopback address `from`: its status and headers. */
function signInFrom(
  adminUrl: string,
  from: string,
  key: string,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  const body = JSON.stringify({ key });
  return new Promise((resolve, reject) => {
    const req = request(
      `${adminUrl}/console/session`,
      {
        method: "POST",
        localAddress: from,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "sec-fetch-site": "same-origin",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Guessing admin keys through the console is slow: a source address that fails too many sign-ins is answered
 * 429 with retry-after, whatever key it sends next, until its failures leave the window; others are unaffected.
 */
describe("console sign-in limit", () => {
  let t: TestApp;
  let admin: string;
  let offset = 0;

  beforeAll(async () => {
    t = await startTestApp({ now: () => Date.now() + offset });
    admin = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers 429 with retry-after once an address has failed too often, even for a right key", async () => {
    for (let i = 0; i < SIGN_IN_FAILURES; i++) {
      expect((await signInFrom(t.adminUrl, "127.0.0.2", `sk_live_guess${i}`)).status).toBe(401);
    }
    const limited = await signInFrom(t.adminUrl, "127.0.0.2", admin);
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers["retry-after"]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(SIGN_IN_WINDOW_MS / 1000);
    expect(limited.headers["set-cookie"]).toBeUndefined();
  });

  it("leaves other addresses alone", async () => {
    expect((await signInFrom(t.adminUrl, "127.0.0.3", admin)).status).toBe(200);
  });

  it("does not count successful sign-ins", async () => {
    for (let i = 0; i < SIGN_IN_FAILURES + 2; i++) {
      expect((await signInFrom(t.adminUrl, "127.0.0.4", admin)).status).toBe(200);
    }
  });

  it("lets the address in again once its failures have left the window", async () => {
    offset = SIGN_IN_WINDOW_MS + 1000;
    expect((await signInFrom(t.adminUrl, "127.0.0.2", admin)).status).toBe(200);
  });
});
