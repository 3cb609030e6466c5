import { toJsonString } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListAuditEventsResponseSchema } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { AdminClients, type KeyAdminClient, rpcError, TRANSPORTS } from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

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

describe.each(TRANSPORTS)("company isolation over %s", (transport) => {
  const companyA = `iso-a-${transport}`;
  const companyB = `iso-b-${transport}`;
  let adminA: KeyAdminClient;
  let adminB: KeyAdminClient;
  let bKeyId: string;
  let bAdminId: string;
  const bKeyIds: string[] = [];

  beforeAll(async () => {
    adminA = clients.client(
      transport,
      (await t.mintKey({ companyId: companyA, scopes: ["keys:admin"] })).secret,
    );
    const bAdmin = await t.mintKey({ companyId: companyB, scopes: ["keys:admin"] });
    bAdminId = bAdmin.id;
    adminB = clients.client(transport, bAdmin.secret);
    await adminA.createKey({ name: "a's key", tags: ["shared-tag"] });
    for (const name of ["b's key", "b's other key"]) {
      const { key } = await adminB.createKey({
        name,
        tags: ["shared-tag"],
        metadata: { secret_plan: "b-only" },
      });
      bKeyIds.push(key?.id ?? "");
    }
    bKeyId = bKeyIds[0] ?? "";
    await adminB.suspendKey({ keyId: bKeyIds[1] ?? "", reason: "b's private reason" });
  });

  /** B's key as B sees it: nothing A tried may have changed it. */
  const bKeyUnchanged = async () => {
    const key = await adminB.getKey({ keyId: bKeyId });
    expect(key.name).toBe("b's key");
    expect(key.status).toBe("active");
    expect(key.rotatedToKeyId).toBe("");
  };

  const notFound = async (call: Promise<unknown>) => {
    const err = await rpcError(call);
    expect(Code[err.code]).toBe("NotFound");
    return err;
  };

  it("GetKey of B's key answers NOT_FOUND, exactly as for a key that does not exist", async () => {
    const err = await notFound(adminA.getKey({ keyId: bKeyId }));
    const missing = await notFound(adminA.getKey({ keyId: "key_0000000000000000000000" }));
    expect(err.rawMessage.replace(bKeyId, "ID")).toBe(
      missing.rawMessage.replace("key_0000000000000000000000", "ID"),
    );
  });

  it("UpdateKey of B's key answers NOT_FOUND and changes nothing", async () => {
    await notFound(adminA.updateKey({ key: { id: bKeyId, name: "pwned" }, updateMask: { paths: ["name"] } }));
    await notFound(
      adminA.updateKey({ key: { id: bKeyId, scopes: ["keys:admin"] }, updateMask: { paths: ["scopes"] } }),
    );
    await bKeyUnchanged();
  });

  it("RotateKey of B's key answers NOT_FOUND and issues nothing", async () => {
    await notFound(adminA.rotateKey({ keyId: bKeyId }));
    await notFound(adminA.rotateKey({ keyId: bKeyId, gracePeriod: { seconds: 0n } }));
    await bKeyUnchanged();
  });

  it("SuspendKey of B's key answers NOT_FOUND", async () => {
    await notFound(adminA.suspendKey({ keyId: bKeyId, reason: "x" }));
    await bKeyUnchanged();
  });

  it("ResumeKey of B's suspended key answers NOT_FOUND", async () => {
    await notFound(adminA.resumeKey({ keyId: bKeyIds[1] ?? "" }));
    expect((await adminB.getKey({ keyId: bKeyIds[1] ?? "" })).status).toBe("suspended");
  });

  it("RevokeKey of B's key answers NOT_FOUND", async () => {
    await notFound(adminA.revokeKey({ keyId: bKeyId, reason: "x" }));
    await bKeyUnchanged();
  });

  it("GetKeyUsage of B's key answers NOT_FOUND", async () => {
    await notFound(adminA.getKeyUsage({ keyId: bKeyId }));
  });

  it("ListKeys shows A none of B's keys, with or without a company filter", async () => {
    const plain = await adminA.listKeys({ pageSize: 1000 });
    expect(plain.keys.length).toBeGreaterThan(0);
    expect(plain.keys.every((k) => k.companyId === companyA)).toBe(true);
    for (const filter of [
      { companyId: companyB },
      { companyId: companyB, tag: "shared-tag" },
      { companyId: companyB, status: "suspended" },
    ]) {
      const res = await adminA.listKeys({ ...filter, pageSize: 1000 });
      expect(res.keys).toEqual([]);
      expect(res.nextPageToken).toBe("");
    }
    const tagged = await adminA.listKeys({ tag: "shared-tag" });
    expect(tagged.keys.map((k) => k.name)).toEqual(["a's key"]);
    const suspended = await adminA.listKeys({ status: "suspended" });
    expect(suspended.keys.every((k) => k.companyId === companyA)).toBe(true);
    // B, meanwhile, sees its own.
    expect((await adminB.listKeys({ tag: "shared-tag" })).keys).toHaveLength(2);
  });

  it("ListAuditEvents shows A none of B's events, however asked", async () => {
    const own = await adminA.listAuditEvents({ pageSize: 1000 });
    expect(own.events.length).toBeGreaterThan(0);
    expect(own.events.every((e) => e.companyId === companyA)).toBe(true);
    const text = toJsonString(ListAuditEventsResponseSchema, own);
    expect(text).not.toContain(bKeyId);
    expect(text).not.toContain(bAdminId);
    expect(text).not.toContain("b's private reason");
    const byCompany = await adminA.listAuditEvents({ companyId: companyB, pageSize: 1000 });
    expect(byCompany.events).toEqual([]);
    const byAction = await adminA.listAuditEvents({ action: "key.suspend", pageSize: 1000 });
    expect(byAction.events.every((e) => e.companyId === companyA)).toBe(true);
    await notFound(adminA.listAuditEvents({ keyId: bKeyId }));
    await notFound(adminA.listAuditEvents({ keyId: bKeyId, companyId: companyB }));
    expect((await adminB.listAuditEvents({ keyId: bKeyId })).events.length).toBeGreaterThan(0);
  });

  it("never answers PERMISSION_DENIED for B's keys, which would confirm they exist", async () => {
    const codes = await Promise.all(
      [
        adminA.getKey({ keyId: bKeyId }),
        adminA.updateKey({ key: { id: bKeyId, name: "x" }, updateMask: { paths: ["name"] } }),
        adminA.rotateKey({ keyId: bKeyId }),
        adminA.suspendKey({ keyId: bKeyId }),
        adminA.resumeKey({ keyId: bKeyId }),
        adminA.revokeKey({ keyId: bKeyId, reason: "x" }),
        adminA.getKeyUsage({ keyId: bKeyId }),
        adminA.listAuditEvents({ keyId: bKeyId }),
      ].map(async (call) => Code[(await rpcError(call)).code]),
    );
    expect(new Set(codes)).toEqual(new Set(["NotFound"]));
  });
});
