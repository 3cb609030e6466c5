import { afterAll, beforeAll, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.js";
import { type CheckHarness, useCheckApp } from "./harness.js";
import {
  CLIENT_ADDRESS,
  type EchoUpstream,
  echoOf,
  freePort,
  type ProxyProcess,
  type Reply,
  send,
  startEchoUpstream,
} from "./proxies.js";
import type { ProxyTargets } from "./proxies-nginx.js";

/** The route of the shipped examples that needs candidates:read and reads the company from the path. */
export const COMPANY_ROUTE = "/v1/companies/{company}/candidates";

/** A running proxy in front of the echo API, asking a real Keyward. */
export interface ProxiedKeyward {
  readonly keyward: CheckHarness;
  readonly proxy: ProxyProcess;
  readonly upstream: EchoUpstream;
  /** Sends a request through the proxy. */
  send: (path: string, options?: Parameters<typeof send>[2]) => Promise<Reply>;
}

/** Starts Keyward, the echo API and the proxy for a suite, and stops them after it. */
export function useProxiedKeyward(start: (targets: ProxyTargets) => Promise<ProxyProcess>): ProxiedKeyward {
  const keyward = useCheckApp();
  let proxy: ProxyProcess | undefined;
  let upstream: EchoUpstream | undefined;
  beforeAll(async () => {
    upstream = await startEchoUpstream();
    const keywardPort = Number(keyward.t.authzAddress.split(":")[1]);
    proxy = await start({ keywardPort, upstreamPort: upstream.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the proxy is used before its suite started it");
    return value;
  };
  return {
    keyward,
    get proxy() {
      return running(proxy);
    },
    get upstream() {
      return running(upstream);
    },
    send: (path, options) => send(running(proxy).url, path, options),
  };
}

/** The JSON error a denial carries. */
export function errorCode(reply: Reply): string {
  expect(reply.headers["content-type"]).toMatch(/^application\/json/);
  return (JSON.parse(reply.body) as { error: { code: string } }).error.code;
}

/** How a proxy passes Keyward's denials on: the code the client reads for each of Keyward's codes. */
export type CodeSeen = (keywardCode: string) => string;

/** A proxy that sends Keyward's own answer back: the client reads Keyward's code. */
export const KEYWARDS_OWN: CodeSeen = (code) => code;

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const companyPath = (company: string) => COMPANY_ROUTE.replace("{company}", company);

/**
 * What every shipped proxy example guarantees, as cases of the calling suite: identity in, secret out,
 * client-made identity and addresses never trusted, denials passed on, companies kept apart by path.
 */
export function proxyContractCases(env: ProxiedKeyward, codeSeen: CodeSeen): void {
  const mint = (spec: Parameters<CheckHarness["mint"]>[0]) => env.keyward.mint(spec);
  const reaching = async (path: string, options: Parameters<typeof send>[2]) => {
    const before = env.upstream.seen.length;
    const reply = await env.send(path, options);
    return { reply, reached: env.upstream.seen.length > before };
  };

  it("passes an allowed request on with Keyward's identity headers and without the key", async () => {
    const key = await mint({ companyId: "acme", scopes: ["candidates:read", "jobs:read"] });
    const echo = echoOf(await env.send(`${companyPath("acme")}?page=2`, { headers: bearer(key.secret) }));
    expect(echo.url).toBe(`${companyPath("acme")}?page=2`);
    expect(echo.headers["x-keyward-key-id"]).toBe(key.id);
    expect(echo.headers["x-keyward-company-id"]).toBe("acme");
    expect(echo.headers["x-keyward-scopes"]).toBe("candidates:read jobs:read");
    expect(echo.headers["x-keyward-environment"]).toBe("live");
    expect(echo.headers.authorization).toBeUndefined();
    expect(JSON.stringify(echo)).not.toContain(key.secret);
  });

  it("takes the key from x-api-key as well, and keeps it from the API", async () => {
    const key = await mint({ companyId: "acme" });
    // The client's query is the API's business: it never reaches Keyward as route requirements.
    const echo = echoOf(
      await env.send("/v1/profile?scopes=*&view=full", {
        method: "POST",
        headers: { "x-api-key": key.secret },
      }),
    );
    expect(echo.url).toBe("/v1/profile?scopes=*&view=full");
    expect(echo.method).toBe("POST");
    expect(echo.headers["x-keyward-key-id"]).toBe(key.id);
    expect(echo.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(echo)).not.toContain(key.secret);
  });

  it("overwrites x-keyward-* headers the client made up, and removes them on a public route", async () => {
    const key = await mint({ companyId: "acme", scopes: ["candidates:read"], environment: "test" });
    const forged = {
      "x-keyward-key-id": "key_forged",
      "x-keyward-company-id": "globex",
      "x-keyward-scopes": "*",
      "x-keyward-environment": "live",
    };
    const echo = echoOf(
      await env.send(companyPath("acme"), { headers: { ...bearer(key.secret), ...forged } }),
    );
    expect(echo.headers["x-keyward-key-id"]).toBe(key.id);
    expect(echo.headers["x-keyward-company-id"]).toBe("acme");
    expect(echo.headers["x-keyward-scopes"]).toBe("candidates:read");
    expect(echo.headers["x-keyward-environment"]).toBe("test");
    const open = echoOf(await env.send("/healthz", { headers: { ...bearer(key.secret), ...forged } }));
    for (const name of [...Object.keys(forged), "authorization"]) expect(open.headers[name]).toBeUndefined();
  });

  it("answers 401 with Keyward's code and challenge, and the API never sees the request", async () => {
    const missing = await reaching(companyPath("acme"), {});
    expect(missing.reply.status).toBe(401);
    expect(missing.reply.headers["www-authenticate"]).toBe('Bearer realm="keyward"');
    expect(errorCode(missing.reply)).toBe(codeSeen("missing_key"));
    // Well formed, with a right checksum, so Keyward looks it up and finds nothing.
    const unknown = await reaching(companyPath("acme"), { headers: bearer(generateKey("sk", "live")) });
    expect(unknown.reply.status).toBe(401);
    expect(unknown.reply.headers["www-authenticate"]).toMatch(
      /^Bearer realm="keyward", error="invalid_token"/,
    );
    expect(errorCode(unknown.reply)).toBe(codeSeen("invalid_key"));
    expect([missing.reached, unknown.reached]).toEqual([false, false]);
  });

  it("answers 403 insufficient_scope with the scope the route needs", async () => {
    const key = await mint({ companyId: "acme", scopes: ["jobs:read"] });
    const { reply, reached } = await reaching(companyPath("acme"), { headers: bearer(key.secret) });
    expect(reply.status).toBe(403);
    expect(reply.headers["www-authenticate"]).toContain(
      'error="insufficient_scope", scope="candidates:read"',
    );
    expect(errorCode(reply)).toBe(codeSeen("insufficient_scope"));
    expect(reached).toBe(false);
  });

  it("keeps a key to its company's paths, whatever the client adds to the URL", async () => {
    const key = await mint({ companyId: "acme", scopes: ["candidates:read"] });
    const tries = [
      companyPath("globex"),
      // A query of the client's own is never read as the route's requirements.
      `${companyPath("globex")}?company_from=header:x-keyward-company&scopes=`,
      // nginx and Caddy route on the normalised path; Keyward reads the raw one and refuses dot segments.
      "/v1/companies/acme/../globex/candidates",
    ];
    const replies = await Promise.all(tries.map((path) => reaching(path, { headers: bearer(key.secret) })));
    expect(replies.map(({ reply }) => reply.status)).toEqual([403, 403, 403]);
    expect(replies.map(({ reply }) => errorCode(reply))).toEqual([
      codeSeen("company_forbidden"),
      codeSeen("company_forbidden"),
      codeSeen("company_required"),
    ]);
    expect(replies.some(({ reached }) => reached)).toBe(false);
  });

  it("reads the method and URI the proxy saw, never ones the client claims in the proxy's headers", async () => {
    const key = await mint({ companyId: "acme", scopes: ["candidates:read"] });
    const claimed = companyPath("acme");
    const { reply, reached } = await reaching(companyPath("globex"), {
      headers: {
        ...bearer(key.secret),
        "x-original-uri": claimed,
        "x-forwarded-uri": claimed,
        "x-original-method": "GET",
        "x-forwarded-method": "GET",
      },
    });
    expect(reply.status).toBe(403);
    expect(errorCode(reply)).toBe(codeSeen("company_forbidden"));
    expect(reached).toBe(false);
  });

  it("checks an IP allowlist against the client's address, never against one the client forged", async () => {
    const here = await mint({ companyId: "acme", ipAllowlist: [`${CLIENT_ADDRESS}/32`] });
    expect(
      echoOf(await env.send("/v1/profile", { headers: bearer(here.secret) })).headers["x-keyward-key-id"],
    ).toBe(here.id);
    const elsewhere = await mint({ companyId: "acme", ipAllowlist: ["203.0.113.0/24"] });
    const forged = await reaching("/v1/profile", {
      headers: { ...bearer(elsewhere.secret), "x-forwarded-for": "203.0.113.7", "x-real-ip": "203.0.113.7" },
    });
    expect(forged.reply.status).toBe(403);
    expect(errorCode(forged.reply)).toBe(codeSeen("ip_not_allowed"));
    expect(forged.reached).toBe(false);
  });

  it("answers a spent rate limit with 429 and Retry-After", async () => {
    const key = await mint({ companyId: "acme", rateLimit: { requests: 1, windowMs: 3_600_000, burst: 0 } });
    expect((await env.send("/v1/profile", { headers: bearer(key.secret) })).status).toBe(200);
    const { reply, reached } = await reaching("/v1/profile", { headers: bearer(key.secret) });
    expect(reply.status).toBe(429);
    expect(Number(reply.headers["retry-after"])).toBeGreaterThan(0);
    expect(errorCode(reply)).toBe("rate_limited");
    expect(reached).toBe(false);
  });
}

/**
 * A case of the calling suite: with Keyward unreachable (nothing listens on its port), the proxy answers
 * `status` itself and the API sees nothing.
 */
export function failsClosedCase(
  start: (targets: ProxyTargets) => Promise<ProxyProcess>,
  status: number,
): void {
  it(`fails closed with ${status} when Keyward cannot be reached`, async () => {
    const upstream = await startEchoUpstream();
    const proxy = await start({ keywardPort: await freePort(), upstreamPort: upstream.port });
    try {
      const reply = await send(proxy.url, "/v1/profile", { headers: { authorization: "Bearer x" } });
      expect(reply.status).toBe(status);
      expect(upstream.seen).toEqual([]);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
}
