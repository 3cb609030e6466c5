import { toJsonString } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListKeysResponseSchema } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { KeySchema } from "../../src/gen/keyward/admin/v1/key_pb.js";
import {
  AdminClients,
  invalidFields,
  type KeyAdminClient,
  postConnectJson,
  rpcError,
  TRANSPORTS,
} from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const SECRET_SHAPE = /^sk_(live|test)_[0-9A-Za-z]{49}$/;
const HOUR_S = 3600n;

let t: TestApp;
let clients: AdminClients;

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
});
afterAll(async () => {
  clients.close();
  await t.close();
});

describe.each(TRANSPORTS)("CreateKey, GetKey and UpdateKey over %s", (transport) => {
  const company = `cu-${transport}`;
  let adminKey: { secret: string; id: string };
  let admin: KeyAdminClient;

  beforeAll(async () => {
    adminKey = await t.mintKey({ companyId: company, scopes: ["keys:admin"] });
    admin = clients.client(transport, adminKey.secret);
  });

  describe("CreateKey", () => {
    it("returns the key and its secret once; GetKey and ListKeys never carry the secret", async () => {
      const created = await admin.createKey({
        companyId: company,
        name: "billing worker",
        scopes: ["invoices:read", "invoices:write"],
        metadata: { team: "billing", owner: "ana" },
        tags: ["prod", "billing"],
        ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"],
      });
      const { key, secret } = created;
      expect(secret).toMatch(SECRET_SHAPE);
      expect(key).toBeDefined();
      if (!key) return;
      expect(key.id).toMatch(/^key_/);
      expect(key.companyId).toBe(company);
      expect(key.name).toBe("billing worker");
      expect(key.scopes).toEqual(["invoices:read", "invoices:write"]);
      expect(key.metadata).toEqual({ team: "billing", owner: "ana" });
      expect(key.tags).toEqual(["prod", "billing"]);
      expect(key.ipAllowlist).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
      expect(key.status).toBe("active");
      expect(key.hint.endsWith(secret.slice(-4))).toBe(true);
      expect(key.hint).not.toContain(secret.slice(8, -4));

      const got = await admin.getKey({ keyId: key.id });
      expect(toJsonString(KeySchema, got)).toBe(toJsonString(KeySchema, key));
      expect(toJsonString(KeySchema, got)).not.toContain(secret);
      const listed = await admin.listKeys({ companyId: company });
      expect(listed.keys.map((k) => k.id)).toContain(key.id);
      expect(toJsonString(ListKeysResponseSchema, listed)).not.toContain(secret);

      const raw = await postConnectJson(t.adminUrl, "GetKey", { keyId: key.id }, adminKey.secret);
      expect(raw.status).toBe(200);
      expect(JSON.stringify(raw.body)).not.toContain(secret);
      expect(raw.body).toMatchObject({ id: key.id, companyId: company, name: "billing worker" });
    });

    it("fills in defaults: live, active, no expiry, the caller's own company, no lists", async () => {
      const before = Date.now();
      const { key, secret } = await admin.createKey({});
      expect(secret).toMatch(/^sk_live_/);
      expect(key?.companyId).toBe(company);
      expect(key?.environment).toBe("live");
      expect(key?.status).toBe("active");
      expect(key?.name).toBe("");
      expect(key?.expireTime).toBeUndefined();
      expect(key?.lastUsedTime).toBeUndefined();
      expect(key?.revokeTime).toBeUndefined();
      expect(key?.rateLimit).toBeUndefined();
      expect(key?.scopes).toEqual([]);
      expect(key?.ipAllowlist).toEqual([]);
      expect(key?.tags).toEqual([]);
      expect(key?.metadata).toEqual({});
      expect(key?.rotatedFromKeyId).toBe("");
      const createMs = key?.createTime ? timestampDate(key.createTime).getTime() : 0;
      expect(createMs).toBeGreaterThanOrEqual(before - 1000);
      expect(createMs).toBeLessThanOrEqual(Date.now() + 1000);
      expect(key?.updateTime).toEqual(key?.createTime);
    });

    it("creates a test-environment key with a sk_test_ secret", async () => {
      const { key, secret } = await admin.createKey({ environment: "test" });
      expect(secret).toMatch(/^sk_test_[0-9A-Za-z]{49}$/);
      expect(key?.environment).toBe("test");
    });

    it("stores expire_time as given", async () => {
      const expireMs = (Math.floor(Date.now() / 1000) + 7200) * 1000;
      const { key } = await admin.createKey({ expireTime: timestampFromMs(expireMs) });
      expect(key?.expireTime && timestampDate(key.expireTime).getTime()).toBe(expireMs);
      const got = await admin.getKey({ keyId: key?.id ?? "" });
      expect(got.expireTime && timestampDate(got.expireTime).getTime()).toBe(expireMs);
    });

    it("turns a ttl into an expire_time that far from now", async () => {
      const before = Date.now();
      const { key } = await admin.createKey({ ttl: { seconds: HOUR_S } });
      const after = Date.now();
      const expireMs = key?.expireTime ? timestampDate(key.expireTime).getTime() : 0;
      expect(expireMs).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(expireMs).toBeLessThanOrEqual(after + 3_600_000);
    });

    it("stores a rate limit", async () => {
      const { key } = await admin.createKey({
        rateLimit: { requests: 100, window: { seconds: 60n }, burst: 20 },
      });
      expect(key?.rateLimit?.requests).toBe(100);
      expect(key?.rateLimit?.window?.seconds).toBe(60n);
      expect(key?.rateLimit?.burst).toBe(20);
    });

    it("gives every key its own id and secret", async () => {
      const a = await admin.createKey({});
      const b = await admin.createKey({});
      expect(a.key?.id).not.toBe(b.key?.id);
      expect(a.secret).not.toBe(b.secret);
    });
  });

  describe("GetKey", () => {
    it("answers NOT_FOUND for an id that does not exist", async () => {
      const err = await rpcError(admin.getKey({ keyId: "key_doesnotexist0000000000" }));
      expect(err.code).toBe(Code.NotFound);
    });

    it("answers INVALID_ARGUMENT naming key_id when it is empty", async () => {
      expect(await invalidFields(admin.getKey({ keyId: "" }))).toEqual(["key_id"]);
    });
  });

  describe("UpdateKey", () => {
    let keyId: string;
    beforeAll(async () => {
      const { key } = await admin.createKey({
        name: "original",
        scopes: ["a:read"],
        metadata: { m: "1" },
        tags: ["t1"],
        ipAllowlist: ["10.0.0.0/8"],
      });
      keyId = key?.id ?? "";
    });

    const update = (key: Record<string, unknown>, paths: string[]) =>
      admin.updateKey({ key: { id: keyId, ...key }, updateMask: { paths } });

    it("changes name, and nothing the mask does not name", async () => {
      const updated = await update({ name: "renamed", scopes: ["ignored:read"], tags: ["ignored"] }, [
        "name",
      ]);
      expect(updated.name).toBe("renamed");
      expect(updated.scopes).toEqual(["a:read"]);
      expect(updated.tags).toEqual(["t1"]);
      expect((await admin.getKey({ keyId })).name).toBe("renamed");
    });

    it("advances update_time and keeps create_time", async () => {
      const before = await admin.getKey({ keyId });
      const updated = await update({ name: "renamed again" }, ["name"]);
      expect(updated.createTime).toEqual(before.createTime);
      const b = before.updateTime ? timestampDate(before.updateTime).getTime() : Number.NaN;
      const a = updated.updateTime ? timestampDate(updated.updateTime).getTime() : Number.NaN;
      expect(a).toBeGreaterThanOrEqual(b);
    });

    it("replaces scopes", async () => {
      const updated = await update({ scopes: ["b:read", "c:*"] }, ["scopes"]);
      expect(updated.scopes).toEqual(["b:read", "c:*"]);
    });

    it("replaces metadata as a whole", async () => {
      const updated = await update({ metadata: { n: "2", o: "3" } }, ["metadata"]);
      expect(updated.metadata).toEqual({ n: "2", o: "3" });
    });

    it("replaces tags", async () => {
      const updated = await update({ tags: ["x", "y"] }, ["tags"]);
      expect(updated.tags).toEqual(["x", "y"]);
    });

    it("replaces and clears ip_allowlist", async () => {
      expect((await update({ ipAllowlist: ["192.0.2.0/24"] }, ["ip_allowlist"])).ipAllowlist).toEqual([
        "192.0.2.0/24",
      ]);
      expect((await update({}, ["ip_allowlist"])).ipAllowlist).toEqual([]);
    });

    it("sets expire_time, and clears it when the mask names it unset", async () => {
      const expireMs = (Math.floor(Date.now() / 1000) + 86_400) * 1000;
      const set = await update({ expireTime: timestampFromMs(expireMs) }, ["expire_time"]);
      expect(set.expireTime && timestampDate(set.expireTime).getTime()).toBe(expireMs);
      const cleared = await update({}, ["expire_time"]);
      expect(cleared.expireTime).toBeUndefined();
    });

    it("sets and clears rate_limit", async () => {
      const set = await update({ rateLimit: { requests: 5, window: { seconds: 1n }, burst: 0 } }, [
        "rate_limit",
      ]);
      expect(set.rateLimit?.requests).toBe(5);
      expect(set.rateLimit?.window?.seconds).toBe(1n);
      expect((await update({}, ["rate_limit"])).rateLimit).toBeUndefined();
    });

    it("changes several fields at once", async () => {
      const updated = await update({ name: "multi", tags: ["multi"] }, ["name", "tags"]);
      expect(updated.name).toBe("multi");
      expect(updated.tags).toEqual(["multi"]);
    });

    it("refuses an unknown path, naming update_mask.paths[i]", async () => {
      expect(await invalidFields(update({ name: "x" }, ["name", "colour"]))).toEqual([
        "update_mask.paths[1]",
      ]);
    });

    it.each(["id", "company_id", "environment", "status", "hint", "create_time", "last_used_time"])(
      "refuses the immutable path %s",
      async (path) => {
        expect(await invalidFields(update({}, [path]))).toEqual(["update_mask.paths[0]"]);
        expect((await admin.getKey({ keyId })).status).toBe("active");
      },
    );

    it("refuses an empty mask", async () => {
      expect(await invalidFields(update({ name: "nothing" }, []))).toEqual(["update_mask"]);
      expect(await invalidFields(admin.updateKey({ key: { id: keyId, name: "nothing" } }))).toEqual([
        "update_mask",
      ]);
    });

    it("refuses a request without key.id", async () => {
      expect(
        await invalidFields(admin.updateKey({ key: { name: "x" }, updateMask: { paths: ["name"] } })),
      ).toEqual(["key.id"]);
    });

    it("answers NOT_FOUND for an id that does not exist", async () => {
      const err = await rpcError(
        admin.updateKey({ key: { id: "key_nope", name: "x" }, updateMask: { paths: ["name"] } }),
      );
      expect(err.code).toBe(Code.NotFound);
    });

    it("answers FAILED_PRECONDITION for a revoked key", async () => {
      const { key } = await admin.createKey({ name: "doomed" });
      const id = key?.id ?? "";
      await admin.revokeKey({ keyId: id, reason: "leaked" });
      const err = await rpcError(
        admin.updateKey({ key: { id, name: "zombie" }, updateMask: { paths: ["name"] } }),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
      expect((await admin.getKey({ keyId: id })).name).toBe("doomed");
    });
  });
});
