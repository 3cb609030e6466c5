import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyAdminService } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { generateKey } from "../../src/keys/format.js";
import {
  AdminClients,
  callEveryRpc,
  type KeyAdminClient,
  postConnectJson,
  rpcError,
  TRANSPORTS,
} from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

let t: TestApp;
let clients: AdminClients;
let platformKey: { secret: string; id: string };
let platform: KeyAdminClient;

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  platformKey = await t.mintKey({ companyId: "platform-co", scopes: ["platform:admin"] });
  platform = clients.client("grpc-h2c", platformKey.secret);
});
afterAll(async () => {
  clients.close();
  await t.close();
});

/** The code every KeyAdmin RPC failed with, by method name; "ok" for a call that went through. */
async function codesOfEveryRpc(client: KeyAdminClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, call] of callEveryRpc(client)) {
    out[name] = await call.then(
      () => "ok",
      (err: unknown) =>
        err instanceof Error && "code" in err ? (Code[err.code as Code] ?? "?") : String(err),
    );
  }
  return out;
}

const everyRpcAnswers = (code: string) =>
  Object.fromEntries(
    KeyAdminService.methods.filter((m) => m.methodKind === "unary").map((m) => [m.name, code]),
  );

describe.each(TRANSPORTS)("admin authentication over %s", (transport) => {
  const company = `auth-${transport}`;
  let adminKey: { secret: string; id: string };
  let admin: KeyAdminClient;

  beforeAll(async () => {
    adminKey = await t.mintKey({ companyId: company, scopes: ["keys:admin"] });
    admin = clients.client(transport, adminKey.secret);
  });

  describe("UNAUTHENTICATED", () => {
    it("for every RPC called without an authorization header", async () => {
      expect(await codesOfEveryRpc(clients.client(transport, null))).toEqual(
        everyRpcAnswers("Unauthenticated"),
      );
    });

    it.each([
      ["an empty bearer", "Bearer "],
      ["the scheme alone", "Bearer"],
      ["another scheme", "Basic dXNlcjpwYXNz"],
      ["no scheme", "sk_live_0000000000000000000000000000000000000000000000000"],
      ["a random token", "Bearer not-a-key"],
      ["a token with a space inside", "Bearer sk_live_abc def"],
      ["an oversized token", `Bearer ${"A".repeat(4000)}`],
    ])("for a malformed header: %s", async (_what, authorization) => {
      const client = clients.clientWithHeaders(transport, { authorization });
      const err = await rpcError(client.listKeys({}));
      expect(err.code).toBe(Code.Unauthenticated);
    });

    it("for a key whose checksum is wrong", async () => {
      const last = adminKey.secret.at(-1) === "A" ? "B" : "A";
      const err = await rpcError(
        clients.client(transport, `${adminKey.secret.slice(0, -1)}${last}`).listKeys({}),
      );
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).not.toContain(adminKey.secret.slice(8, -6));
    });

    it("for a well-formed key that was never issued", async () => {
      const err = await rpcError(clients.client(transport, generateKey("sk", "live")).listKeys({}));
      expect(err.code).toBe(Code.Unauthenticated);
    });

    it("for a suspended admin key, until it is resumed", async () => {
      const key = await t.mintKey({ companyId: company, scopes: ["keys:admin"] });
      const client = clients.client(transport, key.secret);
      await client.listKeys({});
      await platform.suspendKey({ keyId: key.id, reason: "test" });
      expect((await codesOfEveryRpc(client)).ListKeys).toBe("Unauthenticated");
      await platform.resumeKey({ keyId: key.id });
      await client.listKeys({});
    });

    it("for a revoked admin key", async () => {
      const key = await t.mintKey({ companyId: company, scopes: ["keys:admin"] });
      const client = clients.client(transport, key.secret);
      await client.listKeys({});
      await platform.revokeKey({ keyId: key.id, reason: "test" });
      expect(await codesOfEveryRpc(client)).toEqual(everyRpcAnswers("Unauthenticated"));
    });

    it("for an expired admin key", async () => {
      const key = await t.mintKey({
        companyId: company,
        scopes: ["keys:admin"],
        expireTime: new Date(Date.now() - 1000),
      });
      expect((await rpcError(clients.client(transport, key.secret).listKeys({}))).code).toBe(
        Code.Unauthenticated,
      );
    });

    it("never echoes the presented key", async () => {
      const key = await t.mintKey({ companyId: company, scopes: ["keys:admin"] });
      await platform.revokeKey({ keyId: key.id, reason: "test" });
      const err = await rpcError(clients.client(transport, key.secret).listKeys({}));
      expect(err.message).not.toContain(key.secret);
      expect(t.logs.join("\n")).not.toContain(key.secret);
    });
  });

  describe("PERMISSION_DENIED", () => {
    it.each([
      [["*"]],
      [["keys:*"]],
      [["platform:*"]],
      [["keys:read", "keys:write"]],
      [["keys:admins"]],
      [[]],
    ])("for a key holding %j but no admin scope", async (scopes) => {
      const key = await t.mintKey({ companyId: company, scopes });
      expect(await codesOfEveryRpc(clients.client(transport, key.secret))).toEqual(
        everyRpcAnswers("PermissionDenied"),
      );
    });

    it("for an admin key used from outside its IP allowlist, which works from inside it", async () => {
      const outside = await t.mintKey({
        companyId: company,
        scopes: ["keys:admin"],
        ipAllowlist: ["192.0.2.0/24"],
      });
      expect((await rpcError(clients.client(transport, outside.secret).listKeys({}))).code).toBe(
        Code.PermissionDenied,
      );
      const inside = await t.mintKey({
        companyId: company,
        scopes: ["keys:admin"],
        ipAllowlist: ["127.0.0.0/8"],
      });
      expect((await clients.client(transport, inside.secret).listKeys({})).keys.length).toBeGreaterThan(0);
    });

    it("when a company admin mints platform:admin", async () => {
      const err = await rpcError(admin.createKey({ scopes: ["platform:admin"] }));
      expect(err.code).toBe(Code.PermissionDenied);
      const mixed = await rpcError(admin.createKey({ scopes: ["orders:read", "platform:admin"] }));
      expect(mixed.code).toBe(Code.PermissionDenied);
    });

    it("when a company admin grants platform:admin by UpdateKey", async () => {
      const { key } = await admin.createKey({ scopes: ["orders:read"] });
      const err = await rpcError(
        admin.updateKey({
          key: { id: key?.id ?? "", scopes: ["platform:admin"] },
          updateMask: { paths: ["scopes"] },
        }),
      );
      expect(err.code).toBe(Code.PermissionDenied);
      expect((await admin.getKey({ keyId: key?.id ?? "" })).scopes).toEqual(["orders:read"]);
    });

    it("when a company admin creates a key for another company", async () => {
      const err = await rpcError(admin.createKey({ companyId: `other-${transport}` }));
      expect(err.code).toBe(Code.PermissionDenied);
      const listed = await platform.listKeys({ companyId: `other-${transport}` });
      expect(listed.keys).toEqual([]);
    });
  });

  describe("a company admin", () => {
    it("creates keys in its own company, named or implied", async () => {
      expect((await admin.createKey({ companyId: company })).key?.companyId).toBe(company);
      expect((await admin.createKey({})).key?.companyId).toBe(company);
    });

    it("may mint another keys:admin key for its company, and that key administers", async () => {
      const { secret, key } = await admin.createKey({ scopes: ["keys:admin"] });
      const second = clients.client(transport, secret);
      expect((await second.getKey({ keyId: key?.id ?? "" })).companyId).toBe(company);
    });

    it("is recorded as the actor, with its address", async () => {
      const { key } = await admin.createKey({ name: "who made me" });
      const { events } = await admin.listAuditEvents({ keyId: key?.id ?? "" });
      expect(events[0]?.actor).toBe(adminKey.id);
      expect(events[0]?.sourceIp).toMatch(/^(127\.0\.0\.1|::ffff:127\.0\.0\.1)$/);
    });
  });

  describe("a platform admin", () => {
    let root: KeyAdminClient;
    beforeAll(() => {
      root = clients.client(transport, platformKey.secret);
    });

    it("creates keys in any company, including platform admins", async () => {
      const target = `tenant-${transport}`;
      const { key } = await root.createKey({ companyId: target, scopes: ["keys:admin"] });
      expect(key?.companyId).toBe(target);
      const { key: p } = await root.createKey({ companyId: "platform-co", scopes: ["platform:admin"] });
      expect(p?.scopes).toEqual(["platform:admin"]);
    });

    it("must name the company of a new key", async () => {
      const err = await rpcError(root.createKey({}));
      expect(err.code).toBe(Code.InvalidArgument);
    });

    it("manages any company's key through its whole life", async () => {
      const { key } = await admin.createKey({ name: "tenant key", scopes: ["a:read"] });
      const keyId = key?.id ?? "";
      expect((await root.getKey({ keyId })).companyId).toBe(company);
      expect(
        (await root.updateKey({ key: { id: keyId, name: "by root" }, updateMask: { paths: ["name"] } })).name,
      ).toBe("by root");
      expect((await root.suspendKey({ keyId })).status).toBe("suspended");
      expect((await root.resumeKey({ keyId })).status).toBe("active");
      expect((await root.getKeyUsage({ keyId })).keyId).toBe(keyId);
      const rotated = await root.rotateKey({ keyId, gracePeriod: { seconds: 0n } });
      expect((await root.revokeKey({ keyId: rotated.key?.id ?? "", reason: "cleanup" })).status).toBe(
        "revoked",
      );
      const { events } = await root.listAuditEvents({ keyId });
      expect(events.map((e) => e.actor)).toContain(platformKey.id);
      expect((await root.listKeys({ companyId: company })).keys.map((k) => k.id)).toContain(keyId);
    });
  });
});

describe("curl-style Connect JSON", () => {
  it("answers 401 with a Connect error body for no credential, 403 for a non-admin key", async () => {
    const none = await postConnectJson(t.adminUrl, "ListKeys", {}, null);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: "unauthenticated" });
    const user = await t.mintKey({ companyId: "curl-co", scopes: ["*"] });
    const denied = await postConnectJson(t.adminUrl, "ListKeys", {}, user.secret);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: "permission_denied" });
    const ok = await postConnectJson(t.adminUrl, "ListKeys", {}, platformKey.secret);
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveProperty("keys");
  });
});
