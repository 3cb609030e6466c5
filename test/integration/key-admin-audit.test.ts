import { toJsonString } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { type AuditEvent, AuditEventSchema } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { invalidFields, type KeyAdminClient, rpcError, TRANSPORTS } from "../helpers/admin-clients.js";
import { useAdminApp } from "../helpers/harness.js";

const h = useAdminApp();

describe.each(TRANSPORTS)("ListAuditEvents over %s", (transport) => {
  const company = `au-${transport}`;
  let admin: KeyAdminClient;
  let adminId: string;
  let keyId: string;
  let newKeyId: string;
  const secrets: string[] = [];
  let startMs: number;
  let endMs: number;
  let events: AuditEvent[];

  beforeAll(async () => {
    const adminKey = await h.t.mintKey({ companyId: company, scopes: ["keys:admin"] });
    adminId = adminKey.id;
    admin = h.clients.client(transport, adminKey.secret);
    secrets.push(adminKey.secret);
    startMs = Date.now();
    const created = await admin.createKey({ name: "audited", scopes: ["a:read"], metadata: { m: "1" } });
    keyId = created.key?.id ?? "";
    secrets.push(created.secret);
    await admin.updateKey({ key: { id: keyId, name: "audited-2" }, updateMask: { paths: ["name"] } });
    await admin.suspendKey({ keyId, reason: "suspicious traffic" });
    await admin.resumeKey({ keyId });
    const rotated = await admin.rotateKey({ keyId, gracePeriod: { seconds: 60n } });
    newKeyId = rotated.key?.id ?? "";
    secrets.push(rotated.secret);
    await admin.revokeKey({ keyId: newKeyId, reason: "decommissioned" });
    endMs = Date.now();
    events = (await admin.listAuditEvents({ pageSize: 1000 })).events;
  });

  const byKey = (id: string) => events.filter((e) => e.keyId === id);

  it("records one event per change, newest first", () => {
    expect(byKey(keyId).map((e) => e.action)).toEqual([
      "key.rotate",
      "key.resume",
      "key.suspend",
      "key.update",
      "key.create",
    ]);
    expect(byKey(newKeyId).map((e) => e.action)).toEqual(["key.revoke", "key.create"]);
    const ids = events.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });

  it("names the admin key as actor, and the key and company", () => {
    for (const e of [...byKey(keyId), ...byKey(newKeyId)]) {
      expect(e.actor).toBe(adminId);
      expect(e.companyId).toBe(company);
      expect(e.time).toBeDefined();
      const at = e.time ? timestampDate(e.time).getTime() : 0;
      expect(at).toBeGreaterThanOrEqual(startMs - 1000);
      expect(at).toBeLessThanOrEqual(endMs + 1000);
    }
  });

  it("links a rotation's two events by their reasons", () => {
    expect(byKey(keyId).find((e) => e.action === "key.rotate")?.reason).toBe(`rotated to ${newKeyId}`);
    expect(byKey(newKeyId).find((e) => e.action === "key.create")?.reason).toBe(`rotated from ${keyId}`);
  });

  it("keeps reasons", () => {
    expect(byKey(keyId).find((e) => e.action === "key.suspend")?.reason).toBe("suspicious traffic");
    expect(byKey(newKeyId).find((e) => e.action === "key.revoke")?.reason).toBe("decommissioned");
  });

  it("keeps the changed fields before and after", () => {
    const update = byKey(keyId).find((e) => e.action === "key.update");
    expect(update?.before).toEqual({ name: "audited" });
    expect(update?.after).toEqual({ name: "audited-2" });
    const suspend = byKey(keyId).find((e) => e.action === "key.suspend");
    expect(suspend?.before).toEqual({ status: "active" });
    expect(suspend?.after).toEqual({ status: "suspended" });
    const resume = byKey(keyId).find((e) => e.action === "key.resume");
    expect(resume?.before).toEqual({ status: "suspended" });
    expect(resume?.after).toEqual({ status: "active" });
    const revoke = byKey(newKeyId).find((e) => e.action === "key.revoke");
    expect(revoke?.before).toMatchObject({ status: "active" });
    expect(revoke?.after).toMatchObject({ status: "revoked" });
    const rotate = byKey(keyId).find((e) => e.action === "key.rotate");
    expect(rotate?.after).toMatchObject({ rotated_to_key_id: newKeyId });
    const create = byKey(keyId).find((e) => e.action === "key.create");
    expect(create?.after).toMatchObject({ name: "audited", scopes: ["a:read"], metadata: { m: "1" } });
  });

  it("never carries a secret or a hash", async () => {
    const text = events.map((e) => toJsonString(AuditEventSchema, e)).join("\n");
    for (const secret of secrets) expect(text).not.toContain(secret);
    for (const id of [keyId, newKeyId, adminId]) {
      const stored = await h.t.app.ctx.keys.findById(id);
      const hash = Buffer.from(stored?.keyHash ?? []);
      expect(hash.length).toBeGreaterThan(0);
      expect(text).not.toContain(hash.toString("hex"));
      expect(text).not.toContain(hash.toString("base64").slice(0, 20));
      expect(text).not.toContain(hash.toString("base64url").slice(0, 20));
    }
    expect(text.toLowerCase()).not.toContain("hash");
    expect(text).not.toContain("pepper");
  });

  it("filters by key", async () => {
    const { events: forKey } = await admin.listAuditEvents({ keyId });
    expect(forKey.map((e) => e.id)).toEqual(byKey(keyId).map((e) => e.id));
  });

  it("filters by action", async () => {
    const { events: suspends } = await admin.listAuditEvents({ action: "key.suspend" });
    expect(suspends.length).toBeGreaterThan(0);
    expect(suspends.every((e) => e.action === "key.suspend")).toBe(true);
    const { events: none } = await admin.listAuditEvents({ action: "key.nothing" });
    expect(none).toEqual([]);
  });

  it("filters by company for a platform admin", async () => {
    const platform = h.platform(transport);
    const { events: mine } = await platform.listAuditEvents({ companyId: company, pageSize: 1000 });
    expect(mine.map((e) => e.id)).toEqual(events.map((e) => e.id));
    const { events: all } = await platform.listAuditEvents({ pageSize: 1000 });
    expect(all.length).toBeGreaterThanOrEqual(mine.length);
    expect(new Set(all.map((e) => e.companyId)).size).toBeGreaterThan(1);
  });

  it("filters by time range", async () => {
    const inRange = await admin.listAuditEvents({
      keyId,
      startTime: timestampFromMs(startMs - 1),
      endTime: timestampFromMs(endMs + 1000),
    });
    expect(inRange.events).toHaveLength(5);
    const before = await admin.listAuditEvents({ keyId, endTime: timestampFromMs(startMs - 1000) });
    expect(before.events).toEqual([]);
    const after = await admin.listAuditEvents({ keyId, startTime: timestampFromMs(endMs + 1000) });
    expect(after.events).toEqual([]);
  });

  it("pages through every event exactly once", async () => {
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await admin.listAuditEvents({ pageSize: 2, pageToken });
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e) => e.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "" && pages < 50);
    expect(seen).toEqual(events.map((e) => e.id));
    expect(pages).toBe(Math.ceil(events.length / 2));
  });

  it("refuses a tampered page token or one from another query", async () => {
    const { nextPageToken } = await admin.listAuditEvents({ pageSize: 1 });
    expect(nextPageToken).not.toBe("");
    expect(
      await invalidFields(admin.listAuditEvents({ pageSize: 1, pageToken: `x${nextPageToken}` })),
    ).toEqual(["page_token"]);
    expect(
      await invalidFields(
        admin.listAuditEvents({ pageSize: 1, action: "key.create", pageToken: nextPageToken }),
      ),
    ).toEqual(["page_token"]);
  });

  it.each([-1, 1001])("refuses page_size %i", async (pageSize) => {
    expect(await invalidFields(admin.listAuditEvents({ pageSize }))).toEqual(["page_size"]);
  });

  it("refuses an over-long action filter", async () => {
    expect(await invalidFields(admin.listAuditEvents({ action: "a".repeat(65) }))).toEqual(["action"]);
  });

  it("answers NOT_FOUND for a key filter naming an unknown key", async () => {
    expect((await rpcError(admin.listAuditEvents({ keyId: "key_unknown" }))).code).toBe(Code.NotFound);
  });
});
