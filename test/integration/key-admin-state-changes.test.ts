import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Key } from "../../src/gen/keyward/admin/v1/key_pb.js";
import {
  AdminClients,
  invalidFields,
  type KeyAdminClient,
  rpcError,
  TRANSPORTS,
} from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const HOUR_MS = 3_600_000;

let t: TestApp;
let clients: AdminClients;
let envoy: EnvoyClient;

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  envoy = new EnvoyClient(t.authzAddress);
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

const ms = (ts: Key["expireTime"]) => (ts ? timestampDate(ts).getTime() : Number.NaN);

describe.each(TRANSPORTS)("key state changes over %s", (transport) => {
  const company = `sc-${transport}`;
  let admin: KeyAdminClient;

  beforeAll(async () => {
    admin = clients.client(
      transport,
      (await t.mintKey({ companyId: company, scopes: ["keys:admin"] })).secret,
    );
  });

  const newKey = async (init: Record<string, unknown> = {}) => {
    const { key, secret } = await admin.createKey({ name: "subject", ...init });
    if (!key) throw new Error("CreateKey returned no key");
    return { key, secret };
  };

  describe("RotateKey", () => {
    it("issues a new secret with the same settings and links both keys", async () => {
      const expireMs = (Math.floor(Date.now() / 1000) + 30 * 86_400) * 1000;
      const { key: old, secret: oldSecret } = await newKey({
        name: "rotating",
        scopes: ["orders:read", "orders:write"],
        metadata: { owner: "ops", "cost-centre": "42" },
        ipAllowlist: ["10.1.0.0/16", "::1/128"],
        tags: ["rotating", "prod"],
        environment: "test",
        expireTime: { seconds: BigInt(expireMs / 1000) },
        rateLimit: { requests: 10, window: { seconds: 60n }, burst: 2 },
      });
      const res = await admin.rotateKey({ keyId: old.id });
      const fresh = res.key;
      expect(res.secret).toMatch(/^sk_test_[0-9A-Za-z]{49}$/);
      expect(res.secret).not.toBe(oldSecret);
      expect(fresh?.id).not.toBe(old.id);
      expect(fresh?.hint.endsWith(res.secret.slice(-4))).toBe(true);
      expect(fresh).toMatchObject({
        companyId: company,
        name: "rotating",
        scopes: ["orders:read", "orders:write"],
        metadata: { owner: "ops", "cost-centre": "42" },
        ipAllowlist: ["10.1.0.0/16", "::1/128"],
        tags: ["rotating", "prod"],
        environment: "test",
        status: "active",
        rotatedFromKeyId: old.id,
        rotatedToKeyId: "",
      });
      expect(fresh?.rateLimit?.requests).toBe(10);
      expect(fresh?.rateLimit?.burst).toBe(2);
      expect(ms(fresh?.expireTime)).toBe(expireMs);
      expect(res.previousKey?.rotatedToKeyId).toBe(fresh?.id);

      const oldNow = await admin.getKey({ keyId: old.id });
      expect(oldNow.rotatedToKeyId).toBe(fresh?.id);
      expect(oldNow.status).toBe("active");
      const freshNow = await admin.getKey({ keyId: fresh?.id ?? "" });
      expect(freshNow.rotatedFromKeyId).toBe(old.id);
    });

    it("keeps the old key working for 24 hours by default", async () => {
      const { key: old } = await newKey();
      const before = Date.now();
      const { previousKey } = await admin.rotateKey({ keyId: old.id });
      const after = Date.now();
      expect(previousKey?.status).toBe("active");
      expect(ms(previousKey?.expireTime)).toBeGreaterThanOrEqual(before + 24 * HOUR_MS);
      expect(ms(previousKey?.expireTime)).toBeLessThanOrEqual(after + 24 * HOUR_MS);
    });

    it("takes an explicit grace period", async () => {
      const { key: old } = await newKey();
      const before = Date.now();
      const { previousKey } = await admin.rotateKey({ keyId: old.id, gracePeriod: { seconds: 90n } });
      expect(ms(previousKey?.expireTime)).toBeGreaterThanOrEqual(before + 90_000);
      expect(ms(previousKey?.expireTime)).toBeLessThanOrEqual(Date.now() + 90_000);
    });

    it("never extends an expiry that comes before the grace period ends", async () => {
      const expireMs = (Math.floor(Date.now() / 1000) + 3600) * 1000;
      const { key: old } = await newKey({ expireTime: { seconds: BigInt(expireMs / 1000) } });
      const { previousKey } = await admin.rotateKey({ keyId: old.id });
      expect(ms(previousKey?.expireTime)).toBe(expireMs);
    });

    it("revokes the old key at once with a zero grace period", async () => {
      const { key: old } = await newKey();
      const { previousKey, key } = await admin.rotateKey({ keyId: old.id, gracePeriod: { seconds: 0n } });
      expect(previousKey?.status).toBe("revoked");
      expect(previousKey?.revokeTime).toBeDefined();
      expect(previousKey?.revokeReason).not.toBe("");
      expect(key?.status).toBe("active");
      expect((await admin.getKey({ keyId: old.id })).status).toBe("revoked");
    });

    it("refuses to rotate a key twice", async () => {
      const { key: old } = await newKey();
      await admin.rotateKey({ keyId: old.id });
      expect((await rpcError(admin.rotateKey({ keyId: old.id }))).code).toBe(Code.FailedPrecondition);
    });

    it("lets exactly one of several concurrent rotations through", async () => {
      const { key: old } = await newKey();
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () =>
          admin.rotateKey({ keyId: old.id }).then(
            (res) => res.key?.id ?? "?",
            (err: unknown) => (err instanceof Error && "code" in err ? Code[err.code as Code] : String(err)),
          ),
        ),
      );
      const winners = outcomes.filter((o) => o.startsWith("key_"));
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((o) => o === "FailedPrecondition")).toHaveLength(4);
      expect((await admin.getKey({ keyId: old.id })).rotatedToKeyId).toBe(winners[0]);
      const { keys } = await admin.listKeys({ pageSize: 1000 });
      expect(keys.filter((k) => k.rotatedFromKeyId === old.id).map((k) => k.id)).toEqual(winners);
    });

    it("refuses to rotate a suspended or revoked key", async () => {
      const { key: a } = await newKey();
      await admin.suspendKey({ keyId: a.id });
      expect((await rpcError(admin.rotateKey({ keyId: a.id }))).code).toBe(Code.FailedPrecondition);
      const { key: b } = await newKey();
      await admin.revokeKey({ keyId: b.id, reason: "done" });
      expect((await rpcError(admin.rotateKey({ keyId: b.id }))).code).toBe(Code.FailedPrecondition);
    });

    it("refuses a negative or over-long grace period, naming grace_period", async () => {
      const { key } = await newKey();
      expect(await invalidFields(admin.rotateKey({ keyId: key.id, gracePeriod: { seconds: -1n } }))).toEqual([
        "grace_period",
      ]);
      expect(
        await invalidFields(
          admin.rotateKey({ keyId: key.id, gracePeriod: { seconds: BigInt(31 * 86_400) } }),
        ),
      ).toEqual(["grace_period"]);
      expect((await admin.getKey({ keyId: key.id })).rotatedToKeyId).toBe("");
    });

    it("answers NOT_FOUND for an unknown key and INVALID_ARGUMENT for none", async () => {
      expect((await rpcError(admin.rotateKey({ keyId: "key_unknown" }))).code).toBe(Code.NotFound);
      expect(await invalidFields(admin.rotateKey({ keyId: "" }))).toEqual(["key_id"]);
    });
  });

  describe("SuspendKey and ResumeKey", () => {
    it("suspends with a reason and resumes", async () => {
      const { key } = await newKey();
      const suspended = await admin.suspendKey({ keyId: key.id, reason: "investigating" });
      expect(suspended.status).toBe("suspended");
      expect(suspended.suspendReason).toBe("investigating");
      expect((await admin.getKey({ keyId: key.id })).status).toBe("suspended");
      const resumed = await admin.resumeKey({ keyId: key.id });
      expect(resumed.status).toBe("active");
      expect(resumed.suspendReason).toBe("");
    });

    it("suspends without a reason", async () => {
      const { key } = await newKey();
      expect((await admin.suspendKey({ keyId: key.id })).status).toBe("suspended");
    });

    it("refuses to resume or suspend a revoked key", async () => {
      const { key } = await newKey();
      await admin.revokeKey({ keyId: key.id, reason: "compromised" });
      const resume = await rpcError(admin.resumeKey({ keyId: key.id }));
      expect(resume.code).toBe(Code.FailedPrecondition);
      const suspend = await rpcError(admin.suspendKey({ keyId: key.id }));
      expect(suspend.code).toBe(Code.FailedPrecondition);
      expect((await admin.getKey({ keyId: key.id })).status).toBe("revoked");
    });

    it("answers NOT_FOUND for unknown keys and INVALID_ARGUMENT for none", async () => {
      expect((await rpcError(admin.suspendKey({ keyId: "key_unknown" }))).code).toBe(Code.NotFound);
      expect((await rpcError(admin.resumeKey({ keyId: "key_unknown" }))).code).toBe(Code.NotFound);
      expect(await invalidFields(admin.suspendKey({ keyId: "" }))).toEqual(["key_id"]);
      expect(await invalidFields(admin.resumeKey({ keyId: "" }))).toEqual(["key_id"]);
    });
  });

  describe("RevokeKey", () => {
    it("revokes permanently, keeping the reason and the time", async () => {
      const { key } = await newKey();
      const before = Date.now();
      const revoked = await admin.revokeKey({ keyId: key.id, reason: "  leaked in a log  " });
      expect(revoked.status).toBe("revoked");
      expect(revoked.revokeReason).toBe("leaked in a log");
      expect(ms(revoked.revokeTime)).toBeGreaterThanOrEqual(before - 1000);
      expect(ms(revoked.revokeTime)).toBeLessThanOrEqual(Date.now() + 1000);
      expect((await rpcError(admin.revokeKey({ keyId: key.id, reason: "again" }))).code).toBe(
        Code.FailedPrecondition,
      );
    });

    it("requires a reason, naming reason", async () => {
      const { key } = await newKey();
      expect(await invalidFields(admin.revokeKey({ keyId: key.id }))).toEqual(["reason"]);
      expect(await invalidFields(admin.revokeKey({ keyId: key.id, reason: " \t " }))).toEqual(["reason"]);
      expect((await admin.getKey({ keyId: key.id })).status).toBe("active");
    });

    it("answers NOT_FOUND for an unknown key and INVALID_ARGUMENT for none", async () => {
      expect((await rpcError(admin.revokeKey({ keyId: "key_unknown", reason: "x" }))).code).toBe(
        Code.NotFound,
      );
      expect(await invalidFields(admin.revokeKey({ keyId: "", reason: "x" }))).toEqual(["key_id"]);
    });
  });

  describe("GetKeyUsage", () => {
    it("has no last use for a fresh key, and a 24-hour default window", async () => {
      const { key } = await newKey();
      const usage = await admin.getKeyUsage({ keyId: key.id });
      expect(usage.keyId).toBe(key.id);
      expect(usage.lastUsedTime).toBeUndefined();
      expect(ms(usage.endTime) - ms(usage.startTime)).toBe(24 * HOUR_MS);
    });

    it("reports last_used_time after a successful Check, and GetKey shows it once flushed", async () => {
      const { key, secret } = await newKey({ scopes: ["usage:read"] });
      const before = Date.now();
      const res = await envoy.check({
        headers: { authorization: `Bearer ${secret}` },
        contextExtensions: { scopes: "usage:read" },
      });
      expect(res.status.code).toBe(0);
      let usedMs = Number.NaN;
      let storedMs = Number.NaN;
      for (let i = 0; i < 30 && (Number.isNaN(usedMs) || Number.isNaN(storedMs)); i++) {
        usedMs = ms((await admin.getKeyUsage({ keyId: key.id })).lastUsedTime);
        storedMs = ms((await admin.getKey({ keyId: key.id })).lastUsedTime);
        if (Number.isNaN(usedMs) || Number.isNaN(storedMs)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(usedMs).toBeGreaterThanOrEqual(before - 1000);
      expect(usedMs).toBeLessThanOrEqual(Date.now() + 1000);
      expect(storedMs).toBe(usedMs);
    });

    it("does not count a denied Check as a use", async () => {
      const { key, secret } = await newKey({ scopes: ["usage:read"] });
      const { key: witness, secret: witnessSecret } = await newKey({ scopes: ["usage:read"] });
      const denied = await envoy.check({
        headers: { authorization: `Bearer ${secret}` },
        contextExtensions: { scopes: "usage:write" },
      });
      expect(denied.status.code).not.toBe(0);
      // A later allowed Check on another key: once its use is stored, the denied one would have been too.
      const allowed = await envoy.check({ headers: { authorization: `Bearer ${witnessSecret}` } });
      expect(allowed.status.code).toBe(0);
      let witnessUsed = false;
      for (let i = 0; i < 30 && !witnessUsed; i++) {
        witnessUsed = (await admin.getKey({ keyId: witness.id })).lastUsedTime !== undefined;
        if (!witnessUsed) await new Promise((r) => setTimeout(r, 100));
      }
      expect(witnessUsed).toBe(true);
      expect((await admin.getKeyUsage({ keyId: key.id })).lastUsedTime).toBeUndefined();
      expect((await admin.getKey({ keyId: key.id })).lastUsedTime).toBeUndefined();
    });

    it("refuses a window that ends before it starts, naming start_time", async () => {
      const { key } = await newKey();
      const now = BigInt(Math.floor(Date.now() / 1000));
      expect(
        await invalidFields(
          admin.getKeyUsage({ keyId: key.id, startTime: { seconds: now }, endTime: { seconds: now - 60n } }),
        ),
      ).toEqual(["start_time"]);
    });

    it("answers NOT_FOUND for an unknown key and INVALID_ARGUMENT for none", async () => {
      expect((await rpcError(admin.getKeyUsage({ keyId: "key_unknown" }))).code).toBe(Code.NotFound);
      expect(await invalidFields(admin.getKeyUsage({ keyId: "" }))).toEqual(["key_id"]);
    });
  });
});
