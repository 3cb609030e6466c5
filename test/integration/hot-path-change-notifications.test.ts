import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_CHANNEL } from "../../src/store/change-feed.js";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { eventually } from "../helpers/hot-path.js";
import { startTestApp, TEST_DATABASE_URL, type TestApp } from "../helpers/test-app.js";

/**
 * The contract the key cache relies on, watched from outside the app on the real channel: every change to a
 * key that can alter a Check answer notifies `schema:key_id` once it commits; a rolled-back change and the
 * once-a-second usage bookkeeping (last_used_time) notify nothing, so they never flush any replica's cache.
 * Absence is proven by ordering, not by waiting: notifications arrive in commit order, so once a later
 * change's notification is seen, an earlier one that was never seen was never sent.
 */
describe("key change notifications", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  let clients: AdminClients;
  let admin: KeyAdminClient;
  let schema: string;
  const heard: string[] = [];
  let unlisten: () => Promise<void>;

  beforeAll(async () => {
    t = await startTestApp();
    schema = t.app.ctx.database.schema;
    envoy = new EnvoyClient(t.authzAddress);
    clients = new AdminClients(t.adminUrl);
    admin = clients.client(
      "connect-json-http1",
      (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret,
    );
    const embedded = t.app.ctx.database.embedded;
    if (embedded) {
      unlisten = await embedded.listen(KEY_CHANNEL, (payload) => heard.push(payload));
    } else {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      client.on("notification", (msg) => {
        if (msg.channel === KEY_CHANNEL && msg.payload) heard.push(msg.payload);
      });
      await client.query(`listen ${KEY_CHANNEL}`);
      unlisten = () => client.end();
    }
  });
  afterAll(async () => {
    await unlisten?.();
    envoy?.close();
    clients?.close();
    await t?.close();
  });

  const mine = (id: string) => heard.filter((p) => p === `${schema}:${id}`);

  /** Commits a change to a fresh sentinel key and waits for its notification. */
  async function barrier(): Promise<void> {
    const sentinel = await t.mintKey({ companyId: "acme" });
    await admin.suspendKey({ keyId: sentinel.id, reason: "barrier" });
    await eventually(() => mine(sentinel.id).length === 1, { what: "the barrier's notification" });
  }

  it("notifies schema:key_id once for each committed change", async () => {
    const { id } = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    await admin.updateKey({ key: { id, scopes: ["jobs:read"] }, updateMask: { paths: ["scopes"] } });
    await eventually(() => mine(id).length === 1, { what: "the scope change's notification" });
    await admin.suspendKey({ keyId: id, reason: "test" });
    await admin.revokeKey({ keyId: id, reason: "test" });
    await eventually(() => mine(id).length === 3, { what: "three notifications" });
    await barrier();
    expect(mine(id)).toHaveLength(3);
  });

  it("notifies nothing for the usage bookkeeping (last_used_time) written after Checks", async () => {
    const { id, secret } = await t.mintKey({ companyId: "acme" });
    for (let i = 0; i < 5; i++) {
      const res = await envoy.check({ headers: { authorization: `Bearer ${secret}` } });
      expect(res.status.code).toBe(0);
    }
    await t.app.ctx.traffic.flush();
    const row = await t.app.ctx.database.db
      .selectFrom("keys")
      .select("last_used_time")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.last_used_time).toBeInstanceOf(Date);
    await barrier();
    expect(mine(id)).toEqual([]);
  });

  it("notifies nothing for a change that rolls back", async () => {
    const { id } = await t.mintKey({ companyId: "acme" });
    await expect(
      t.app.ctx.database.transaction(async (tx) => {
        await tx.keys.update(id, { status: "revoked" }, new Date());
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await barrier();
    expect(mine(id)).toEqual([]);
  });

  it("notifies a deletion", async () => {
    const { id } = await t.mintKey({ companyId: "acme" });
    await t.app.ctx.database.db.deleteFrom("keys").where("id", "=", id).execute();
    await eventually(() => mine(id).length === 1, { what: "the deletion's notification" });
  });
});
