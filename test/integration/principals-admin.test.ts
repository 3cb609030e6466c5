import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, invalidFields, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { deniedBody, EnvoyClient, okHeaders } from "../helpers/envoy-client.js";
import { eventually } from "../helpers/hot-path.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Who may do what with integration keys, user tokens, users and memberships. The key's owning company is
 * "keyward" (the platform's own); acme and globex are the companies it acts for; initech is unrelated.
 */

let t: TestApp;
let clients: AdminClients;
let envoy: EnvoyClient;
let platform: KeyAdminClient;
let keywardAdmin: KeyAdminClient;
let acme: KeyAdminClient;
let globex: KeyAdminClient;
let initech: KeyAdminClient;

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  envoy = new EnvoyClient(t.authzAddress);
  const client = async (companyId: string, scope: string) =>
    clients.client("connect-json-http1", (await t.mintKey({ companyId, scopes: [scope] })).secret);
  platform = await client("keyward", "platform:admin");
  keywardAdmin = await client("keyward", "keys:admin");
  acme = await client("acme", "keys:admin");
  globex = await client("globex", "keys:admin");
  initech = await client("initech", "keys:admin");
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

/** The name of the code a call failed with. */
async function failure(call: Promise<unknown>): Promise<string> {
  return Code[(await rpcError(call)).code];
}

/** A fresh integration key owned by keyward, acting for `companies`. */
async function integrationKey(companies: string[]) {
  const created = await platform.createKey({
    companyId: "keyward",
    kind: "integration",
    companyIds: companies,
  });
  return { id: created.key?.id as string, secret: created.secret };
}

/** "allow:<acting company>" or the denial code. */
async function checkOutcome(secret: string, company: string): Promise<string> {
  const res = await envoy.check({
    headers: { authorization: `Bearer ${secret}`, "x-keyward-company": company },
  });
  return res.status.code === 0
    ? `allow:${okHeaders(res)["x-keyward-company-id"]}`
    : deniedBody(res).error.code;
}

describe("creating integration keys and user tokens", () => {
  it("only a platform admin creates integration keys", async () => {
    expect(await failure(acme.createKey({ kind: "integration", companyIds: ["acme", "globex"] }))).toBe(
      "PermissionDenied",
    );
    expect(
      await failure(acme.createKey({ companyId: "acme", kind: "integration", companyIds: ["acme"] })),
    ).toBe("PermissionDenied");
    expect(
      await failure(
        keywardAdmin.createKey({ companyId: "keyward", kind: "integration", companyIds: ["acme"] }),
      ),
    ).toBe("PermissionDenied");
    const created = await platform.createKey({
      companyId: "keyward",
      kind: "integration",
      companyIds: ["acme", "globex"],
    });
    expect(created.key).toMatchObject({
      kind: "integration",
      companyId: "keyward",
      companyIds: ["acme", "globex"],
    });
  });

  it("checks kind, company_ids and user_id", async () => {
    expect(await invalidFields(platform.createKey({ companyId: "keyward", kind: "integration" }))).toContain(
      "company_ids",
    );
    expect(
      await invalidFields(
        platform.createKey({ companyId: "k", kind: "integration", companyIds: ["acme", "acme"] }),
      ),
    ).toContain("company_ids");
    expect(await invalidFields(platform.createKey({ companyId: "acme", companyIds: ["globex"] }))).toContain(
      "company_ids",
    );
    expect(await invalidFields(platform.createKey({ companyId: "acme", userId: "someone" }))).toContain(
      "user_id",
    );
    expect(await invalidFields(platform.createKey({ companyId: "acme", kind: "robot" }))).toContain("kind");
    expect(await invalidFields(platform.createKey({ kind: "user" }))).toContain("user_id");
    expect(await invalidFields(platform.createKey({ kind: "user", userId: "nobody-at-all" }))).toContain(
      "user_id",
    );
  });

  it("refuses the admin scopes on integration keys and user tokens, at creation and by update", async () => {
    await platform.createUser({ user: { id: "adm-scope-user", defaultCompanyId: "acme" } });
    for (const scope of ["keys:admin", "platform:admin"]) {
      expect(
        await invalidFields(
          platform.createKey({
            companyId: "keyward",
            kind: "integration",
            companyIds: ["acme"],
            scopes: [scope],
          }),
        ),
      ).toContain("scopes");
      expect(
        await invalidFields(platform.createKey({ kind: "user", userId: "adm-scope-user", scopes: [scope] })),
      ).toContain("scopes");
    }
    expect(
      await invalidFields(acme.createKey({ kind: "user", userId: "adm-scope-user", scopes: ["keys:admin"] })),
    ).toContain("scopes");
    const key = await integrationKey(["acme"]);
    const token = await platform.createKey({ kind: "user", userId: "adm-scope-user", scopes: ["*"] });
    for (const id of [key.id, token.key?.id as string]) {
      expect(
        await invalidFields(
          platform.updateKey({
            key: { id, scopes: ["jobs:read", "keys:admin"] },
            updateMask: { paths: ["scopes"] },
          }),
        ),
      ).toContain("key.scopes");
    }
    expect((await platform.getKey({ keyId: key.id })).scopes).toEqual([]);
  });

  it("a user token belongs to its user's default company, whose admins make it", async () => {
    await platform.createUser({ user: { id: "token-owner", defaultCompanyId: "acme" } });
    await platform.addMembership({ userId: "token-owner", companyId: "globex", scopes: ["*"] });
    // Another company's user, even a member of globex, is answered as no user at all: nothing names acme.
    expect(await invalidFields(globex.createKey({ kind: "user", userId: "token-owner" }))).toEqual([
      "user_id",
    ]);
    expect(
      await invalidFields(acme.createKey({ companyId: "globex", kind: "user", userId: "token-owner" })),
    ).toContain("company_id");
    const made = await acme.createKey({ kind: "user", userId: "token-owner" });
    expect(made.key).toMatchObject({
      kind: "user",
      userId: "token-owner",
      companyId: "acme",
      companyIds: [],
    });
  });
});

describe("users and memberships", () => {
  it("a company admin creates users of its own company only, and the user joins it", async () => {
    const other = acme.createUser({ user: { id: "mem-u0", defaultCompanyId: "globex" } });
    expect(await failure(other)).toBe("PermissionDenied");
    const user = await acme.createUser({ user: { id: "mem-u1", name: "Grace", defaultCompanyId: "acme" } });
    expect(user).toMatchObject({ id: "mem-u1", name: "Grace", defaultCompanyId: "acme" });
    expect((await acme.getUser({ userId: "mem-u1" })).defaultCompanyId).toBe("acme");
    const { memberships } = await platform.listMemberships({ userId: "mem-u1" });
    expect(memberships.map((m) => [m.userId, m.companyId])).toEqual([["mem-u1", "acme"]]);
    expect(await failure(acme.createUser({ user: { id: "mem-u1", defaultCompanyId: "acme" } }))).toBe(
      "AlreadyExists",
    );
    expect(
      await invalidFields(acme.createUser({ user: { id: "bad id!", defaultCompanyId: "acme" } })),
    ).toContain("user.id");
  });

  it("only a company's admins add and remove its memberships", async () => {
    await acme.createUser({ user: { id: "mem-u2", defaultCompanyId: "acme" } });
    expect(await failure(acme.addMembership({ userId: "mem-u2", companyId: "globex", scopes: ["*"] }))).toBe(
      "PermissionDenied",
    );
    expect(await failure(initech.addMembership({ userId: "mem-u2", companyId: "acme", scopes: ["*"] }))).toBe(
      "PermissionDenied",
    );
    expect(
      (await globex.addMembership({ userId: "mem-u2", companyId: "globex", scopes: ["*"] })).companyId,
    ).toBe("globex");
    expect(
      await failure(globex.addMembership({ userId: "mem-u2", companyId: "globex", scopes: ["*"] })),
    ).toBe("AlreadyExists");
    expect(await failure(acme.removeMembership({ userId: "mem-u2", companyId: "globex" }))).toBe(
      "PermissionDenied",
    );
    expect(await failure(initech.removeMembership({ userId: "mem-u2", companyId: "globex" }))).toBe(
      "PermissionDenied",
    );
    const all = await platform.listMemberships({ userId: "mem-u2" });
    expect(all.memberships.map((m) => m.companyId).sort()).toEqual(["acme", "globex"]);
    await globex.removeMembership({ userId: "mem-u2", companyId: "globex" });
    expect(await failure(globex.removeMembership({ userId: "mem-u2", companyId: "globex" }))).toBe(
      "NotFound",
    );
    expect(
      await failure(platform.addMembership({ userId: "no-such-user", companyId: "acme", scopes: ["*"] })),
    ).toBe("NotFound");
  });

  it("a company admin lists only its own company's memberships", async () => {
    await acme.createUser({ user: { id: "mem-u3", defaultCompanyId: "acme" } });
    await globex.addMembership({ userId: "mem-u3", companyId: "globex", scopes: ["*"] });
    const companies = async (admin: KeyAdminClient, req: { userId?: string; companyId?: string }) =>
      (await admin.listMemberships(req)).memberships.map((m) => `${m.userId}@${m.companyId}`);
    expect(await companies(acme, { userId: "mem-u3" })).toEqual(["mem-u3@acme"]);
    expect(await companies(globex, { userId: "mem-u3" })).toEqual(["mem-u3@globex"]);
    expect(await companies(initech, { userId: "mem-u3" })).toEqual([]);
    expect(await companies(acme, { companyId: "globex" })).toEqual([]);
    expect(await companies(globex, { companyId: "globex" })).toContain("mem-u3@globex");
    expect((await companies(platform, { userId: "mem-u3" })).sort()).toEqual([
      "mem-u3@acme",
      "mem-u3@globex",
    ]);
    expect(await failure(acme.listMemberships({}))).toBe("InvalidArgument");
  });

  it("a company admin sees its members as users, and no one else", async () => {
    expect((await globex.getUser({ userId: "mem-u3" })).id).toBe("mem-u3");
    expect(await failure(initech.getUser({ userId: "mem-u3" }))).toBe("NotFound");
  });
});

describe("what a company admin sees of keys that act for it", () => {
  let shared: { id: string; secret: string };
  let tokenId: string;

  beforeAll(async () => {
    shared = await integrationKey(["acme", "globex"]);
    await acme.createUser({ user: { id: "vis-u1", defaultCompanyId: "acme" } });
    await globex.addMembership({ userId: "vis-u1", companyId: "globex", scopes: ["*"] });
    tokenId = (await acme.createKey({ kind: "user", userId: "vis-u1", name: "Ada's token" })).key
      ?.id as string;
  });

  const listed = async (admin: KeyAdminClient) =>
    (await admin.listKeys({ pageSize: 1000 })).keys.map((k) => k.id);

  it("reads integration keys listing its company, and its members' tokens", async () => {
    for (const [company, admin] of [
      ["acme", acme],
      ["globex", globex],
    ] as const) {
      // A listed company sees itself in company_ids, never the integration's other customers.
      expect((await admin.getKey({ keyId: shared.id })).companyIds).toEqual([company]);
      expect((await admin.getKey({ keyId: tokenId })).userId).toBe("vis-u1");
      expect(await listed(admin)).toEqual(expect.arrayContaining([shared.id, tokenId]));
    }
    expect((await acme.getKeyUsage({ keyId: shared.id })).keyId).toBe(shared.id);
  });

  it("an unrelated company sees neither", async () => {
    expect(await failure(initech.getKey({ keyId: shared.id }))).toBe("NotFound");
    expect(await failure(initech.getKey({ keyId: tokenId }))).toBe("NotFound");
    expect(await failure(initech.getKeyUsage({ keyId: shared.id }))).toBe("NotFound");
    expect(await listed(initech)).not.toEqual(expect.arrayContaining([shared.id]));
    expect(await listed(initech)).not.toContain(tokenId);
    expect((await acme.listKeys({ companyId: "globex" })).keys).toEqual([]);
  });

  it.each([
    ["acme", "the integration key"],
    ["globex", "the integration key"],
    ["globex", "the member's token"],
  ])("%s's admin cannot change %s: NOT_FOUND, and nothing changes", async (company, which) => {
    const admin = company === "acme" ? acme : globex;
    const id = which === "the integration key" ? shared.id : tokenId;
    const before = await platform.getKey({ keyId: id });
    // Thunks, run one at a time: no rejected call waits unobserved while another is awaited.
    const attempts = [
      () => admin.updateKey({ key: { id, name: "pwned" }, updateMask: { paths: ["name"] } }),
      () => admin.updateKey({ key: { id, tags: ["pwned"] }, updateMask: { paths: ["tags"] } }),
      () => admin.updateKey({ key: { id, scopes: ["*"] }, updateMask: { paths: ["scopes"] } }),
      () => admin.suspendKey({ keyId: id, reason: "x" }),
      () => admin.resumeKey({ keyId: id }),
      () => admin.revokeKey({ keyId: id, reason: "x" }),
      () => admin.rotateKey({ keyId: id }),
      () => admin.rotateKey({ keyId: id, gracePeriod: { seconds: 0n } }),
    ];
    for (const attempt of attempts) expect(await failure(attempt())).toBe("NotFound");
    const after = await platform.getKey({ keyId: id });
    expect(after).toEqual(before);
  });

  it("the token's own company still manages it", async () => {
    expect((await acme.suspendKey({ keyId: tokenId, reason: "audit" })).status).toBe("suspended");
    expect((await acme.resumeKey({ keyId: tokenId })).status).toBe("active");
  });

  it("a member who leaves takes their tokens out of the company's view", async () => {
    await globex.removeMembership({ userId: "vis-u1", companyId: "globex" });
    expect(await failure(globex.getKey({ keyId: tokenId }))).toBe("NotFound");
    expect(await listed(globex)).not.toContain(tokenId);
    expect((await acme.getKey({ keyId: tokenId })).id).toBe(tokenId);
  });
});

describe("DetachCompany", () => {
  let key: { id: string; secret: string };

  beforeAll(async () => {
    key = await integrationKey(["acme", "globex"]);
  });

  it("is refused to companies the key does not list, and to the admins of another listed company", async () => {
    expect(await failure(initech.detachCompany({ keyId: key.id, companyId: "initech" }))).toBe("NotFound");
    expect(await failure(initech.detachCompany({ keyId: key.id, companyId: "acme" }))).toBe("NotFound");
    expect(await failure(globex.detachCompany({ keyId: key.id, companyId: "acme" }))).toBe("NotFound");
    expect(await invalidFields(acme.detachCompany({ keyId: key.id, companyId: "" }))).toContain("company_id");
    expect((await platform.getKey({ keyId: key.id })).companyIds).toEqual(["acme", "globex"]);
  });

  it("by the detached company's admin: the key no longer acts for it, nor is it visible to it", async () => {
    expect(await checkOutcome(key.secret, "acme")).toBe("allow:acme");
    const detached = await acme.detachCompany({ keyId: key.id, companyId: "acme" });
    expect(detached.companyIds).toEqual([]);
    expect((await platform.getKey({ keyId: key.id })).companyIds).toEqual(["globex"]);
    await eventually(async () => (await checkOutcome(key.secret, "acme")) === "company_forbidden", {
      what: "Check refusing the detached company",
    });
    expect(await checkOutcome(key.secret, "globex")).toBe("allow:globex");
    expect(await failure(acme.getKey({ keyId: key.id }))).toBe("NotFound");
    expect(await failure(acme.detachCompany({ keyId: key.id, companyId: "acme" }))).toBe("NotFound");
  });

  it("is only for integration keys", async () => {
    const plain = await acme.createKey({ name: "plain" });
    expect(await failure(acme.detachCompany({ keyId: plain.key?.id as string, companyId: "acme" }))).toBe(
      "NotFound",
    );
  });
});

describe("UpdateKey company_ids", () => {
  it("is for platform admins only, even the owning company's admins", async () => {
    const key = await integrationKey(["acme"]);
    const change = (admin: KeyAdminClient) =>
      admin.updateKey({
        key: { id: key.id, companyIds: ["acme", "initech"] },
        updateMask: { paths: ["company_ids"] },
      });
    expect(await failure(change(keywardAdmin))).toBe("PermissionDenied");
    // acme is listed on the key, not its owner: the key is not one of its own.
    expect(await failure(change(acme))).toBe("NotFound");
    expect(await failure(change(initech))).toBe("NotFound");
    expect((await platform.getKey({ keyId: key.id })).companyIds).toEqual(["acme"]);
  });

  it("by a platform admin: Check follows the new list", async () => {
    const key = await integrationKey(["acme", "globex"]);
    expect(await checkOutcome(key.secret, "acme")).toBe("allow:acme");
    const updated = await platform.updateKey({
      key: { id: key.id, companyIds: ["globex", "initech"] },
      updateMask: { paths: ["company_ids"] },
    });
    expect(updated.companyIds).toEqual(["globex", "initech"]);
    await eventually(async () => (await checkOutcome(key.secret, "acme")) === "company_forbidden", {
      what: "Check refusing the removed company",
    });
    expect(await checkOutcome(key.secret, "initech")).toBe("allow:initech");
    expect(await checkOutcome(key.secret, "globex")).toBe("allow:globex");
  });

  it("checks the list and the kind", async () => {
    const key = await integrationKey(["acme"]);
    const set = (id: string, companyIds: string[]) =>
      platform.updateKey({ key: { id, companyIds }, updateMask: { paths: ["company_ids"] } });
    expect(await invalidFields(set(key.id, []))).toContain("key.company_ids");
    expect(await invalidFields(set(key.id, ["acme", "acme"]))).toContain("key.company_ids");
    const plain = await platform.createKey({ companyId: "acme" });
    expect(await failure(set(plain.key?.id as string, ["globex"]))).toBe("FailedPrecondition");
    expect((await platform.getKey({ keyId: plain.key?.id as string })).companyIds).toEqual([]);
  });
});
