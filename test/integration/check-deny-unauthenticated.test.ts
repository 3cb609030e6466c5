import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyHasher, makePepper } from "../../src/keys/hasher.js";
import { mintSecret, newKeyId } from "../../src/keys/mint.js";
import {
  denialText,
  deniedBody,
  deniedHeaders,
  deniedHttpStatus,
  EnvoyClient,
  type EnvoyResponse,
  leakedSecrets,
  wellFormedKey,
  withBrokenChecksum,
} from "../helpers/envoy-client.js";
import { keySpec, startTestApp, type TestApp } from "../helpers/test-app.js";

/** The shape every 401 shares: gRPC 16, HTTP 401, a JSON body naming `code`, no identity for the upstream. */
function expectUnauthenticated(res: EnvoyResponse, code: string): void {
  expect(deniedBody(res).error.code).toBe(code);
  expect(res.status.code).toBe(16);
  expect(res.http_response).toBe("denied_response");
  expect(res.ok_response).toBeFalsy();
  expect(deniedHttpStatus(res)).toBe(401);
  const headers = deniedHeaders(res);
  expect(headers["content-type"]).toBe("application/json");
  expect(headers["x-keyward-key-id"]).toBeUndefined();
  const body = deniedBody(res);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  const challenge = headers["www-authenticate"] ?? "";
  expect(challenge.startsWith('Bearer realm="keyward"')).toBe(true);
  if (code === "missing_key") expect(challenge).not.toContain("error=");
  else expect(challenge).toContain('error="invalid_token"');
}

/**
 * A change made straight in the store reaches the server's key cache through the database's change feed
 * (LISTEN/NOTIFY), which is asynchronous: wait for it rather than race it. This bounds correctness, not speed.
 */
const POLL = { timeout: 10_000, interval: 20 };

/** "allow", or the denial's error code. */
async function codeOf(res: Promise<EnvoyResponse>): Promise<string> {
  const r = await res;
  return r.status.code === 0 ? "allow" : deniedBody(r).error.code;
}

describe("Check 401 denials", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  const secrets: string[] = [];
  const mint = async (spec: Parameters<TestApp["mintKey"]>[0]) => {
    const key = await t.mintKey(spec);
    secrets.push(key.secret);
    return key;
  };
  const bearer = (secret: string) => envoy.check({ headers: { authorization: `Bearer ${secret}` } });

  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  describe("missing_key", () => {
    it("denies a request with no credential, with a challenge that carries no error", async () => {
      const res = await envoy.check({ path: "/v1/companies/acme/candidates" });
      expectUnauthenticated(res, "missing_key");
      expect(deniedHeaders(res)["www-authenticate"]).toBe('Bearer realm="keyward"');
    });

    it("denies an empty x-api-key", async () => {
      expectUnauthenticated(await envoy.check({ headers: { "x-api-key": "" } }), "missing_key");
    });

    it("denies a request that only has credentials in unrelated headers", async () => {
      const { secret } = await mint({ companyId: "acme" });
      const res = await envoy.check({ headers: { cookie: `key=${secret}`, "x-auth-token": secret } });
      expectUnauthenticated(res, "missing_key");
    });
  });

  describe("malformed_key", () => {
    const cases: [string, () => Record<string, string>][] = [
      ["a bearer token that is not a key at all", () => ({ authorization: "Bearer not-a-key" })],
      [
        "a key with a broken checksum",
        () => ({ authorization: `Bearer ${withBrokenChecksum(wellFormedKey())}` }),
      ],
      [
        "a checksum-valid key under another prefix",
        () => ({ authorization: `Bearer ${wellFormedKey("live", "pk")}` }),
      ],
      ["an environment other than live or test", () => ({ authorization: `Bearer ${prodKey()}` })],
      ["a body with a character outside base62", () => ({ authorization: `Bearer ${outsideAlphabet()}` })],
      ["a key one character short", () => ({ authorization: `Bearer ${wellFormedKey().slice(1)}` })],
      ["an oversized bearer credential", () => ({ authorization: `Bearer ${"A".repeat(4096)}` })],
      ["an oversized x-api-key", () => ({ "x-api-key": wellFormedKey() + "x".repeat(600) })],
      [
        "the Basic scheme",
        () => ({ authorization: `Basic ${Buffer.from(`user:${wellFormedKey()}`).toString("base64")}` }),
      ],
      ["a key sent in authorization without a scheme", () => ({ authorization: wellFormedKey() })],
      [
        "a bearer header with two tokens",
        () => ({ authorization: `Bearer ${wellFormedKey()} ${wellFormedKey()}` }),
      ],
      ["a bearer header with no token", () => ({ authorization: "Bearer " })],
      [
        "two different keys in authorization and x-api-key",
        () => ({ authorization: `Bearer ${wellFormedKey()}`, "x-api-key": wellFormedKey() }),
      ],
    ];
    it.each(cases)("denies %s", async (_name, headers) => {
      expectUnauthenticated(await envoy.check({ headers: headers() }), "malformed_key");
    });

    it("denies a real key whose checksum was tampered with", async () => {
      const { secret } = await mint({ companyId: "acme" });
      expectUnauthenticated(await bearer(withBrokenChecksum(secret)), "malformed_key");
    });
  });

  describe("invalid_key", () => {
    it("denies a well-formed key that no store holds", async () => {
      expectUnauthenticated(await bearer(wellFormedKey()), "invalid_key");
      expectUnauthenticated(
        await envoy.check({ headers: { "x-api-key": wellFormedKey("test") } }),
        "invalid_key",
      );
    });

    it("denies a key stored under a pepper the server does not have", async () => {
      const foreign = new KeyHasher([makePepper(randomBytes(32))]);
      const { secret, ...minted } = mintSecret(foreign, t.config.keyPrefix, "live");
      secrets.push(secret);
      const spec = keySpec({ companyId: "acme", name: "foreign" });
      const key = await t.app.ctx.keys.insert({ id: newKeyId(), spec, minted, now: new Date() });
      expect(await t.app.ctx.keys.findById(key.id)).toBeDefined();
      expectUnauthenticated(await bearer(secret), "invalid_key");
    });
  });

  describe("key lifecycle", () => {
    it("denies a key past its expiry with expired_key", async () => {
      const { secret } = await mint({ companyId: "acme", expireTime: new Date(Date.now() - 1000) });
      expectUnauthenticated(await bearer(secret), "expired_key");
    });

    it("denies a key once its expiry is moved into the past", async () => {
      const { secret, id } = await mint({ companyId: "acme", expireTime: new Date(Date.now() + 3_600_000) });
      expect((await bearer(secret)).status.code).toBe(0);
      await t.app.ctx.keys.update(id, { expireTime: new Date(Date.now() - 1) }, new Date());
      await expect.poll(() => codeOf(bearer(secret)), POLL).toBe("expired_key");
      expectUnauthenticated(await bearer(secret), "expired_key");
    });

    it("denies a suspended key with suspended_key and allows it again once resumed", async () => {
      const { secret, id } = await mint({ companyId: "acme" });
      expect((await bearer(secret)).status.code).toBe(0);
      await t.app.ctx.keys.update(id, { status: "suspended", suspendReason: "test" }, new Date());
      await expect.poll(() => codeOf(bearer(secret)), POLL).toBe("suspended_key");
      expectUnauthenticated(await bearer(secret), "suspended_key");
      expectUnauthenticated(await envoy.check({ headers: { "x-api-key": secret } }), "suspended_key");
      await t.app.ctx.keys.update(id, { status: "active", suspendReason: null }, new Date());
      await expect.poll(() => codeOf(bearer(secret)), POLL).toBe("allow");
    });

    it("denies a revoked key with revoked_key", async () => {
      const { secret, id } = await mint({ companyId: "acme" });
      expect((await bearer(secret)).status.code).toBe(0);
      await t.app.ctx.keys.update(
        id,
        { status: "revoked", revokeTime: new Date(), revokeReason: "t" },
        new Date(),
      );
      await expect.poll(() => codeOf(bearer(secret)), POLL).toBe("revoked_key");
      expectUnauthenticated(await bearer(secret), "revoked_key");
    });
  });

  it("never shows a secret in a denial or a log line", () => {
    const denials = envoy.responses.filter((r) => r.status.code !== 0);
    expect(denials.length).toBeGreaterThan(20);
    expect(leakedSecrets(secrets, [...t.logs, ...denials.map(denialText)])).toEqual([]);
  });
});

/** A checksum-valid key whose environment segment is neither live nor test. */
function prodKey(): string {
  return wellFormedKey("live").replace("_live_", "_prod_");
}

/** A well-formed key with one body character replaced by "-". */
function outsideAlphabet(): string {
  const key = wellFormedKey();
  return `${key.slice(0, 10)}-${key.slice(11)}`;
}
