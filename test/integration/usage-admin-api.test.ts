import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthEvent } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { AdminClients, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import { EnvoyClient, type EnvoyRequest, wellFormedKey } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * GetKeyUsage and ListAuthEvents over the admin API, after the recorder has flushed: exact counts, the order of
 * the busiest endpoints, time windows on minute boundaries, and company isolation. The app's clock is the
 * test's, so every request lands in a known minute.
 */
const MINUTE = 60_000;
/** A whole minute, ten minutes ago: the windows below lie in the past of the real clock too. */
const M0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;

describe("GetKeyUsage and ListAuthEvents", () => {
  const clock = { now: M0 + 5000 };
  let t: TestApp;
  let envoy: EnvoyClient;
  let clients: AdminClients;
  let acmeAdmin: KeyAdminClient;
  let globexAdmin: KeyAdminClient;
  let platformAdmin: KeyAdminClient;
  let key: { id: string; secret: string };
  let globexKey: { id: string; secret: string };
  /** The clock at each secret's last allowed request. */
  const lastUse = new Map<string, number>();

  async function send(secret: string, r: EnvoyRequest, times: number): Promise<void> {
    for (let i = 0; i < times; i++) {
      const res = await envoy.check({ ...r, headers: { authorization: `Bearer ${secret}` } });
      if (res.status.code === 0) lastUse.set(secret, clock.now);
      clock.now += 100;
    }
  }

  beforeAll(async () => {
    t = await startTestApp({ now: () => clock.now });
    envoy = new EnvoyClient(t.authzAddress);
    clients = new AdminClients(t.adminUrl);
    acmeAdmin = clients.client(
      "connect-json-http1",
      (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret,
    );
    globexAdmin = clients.client(
      "connect-json-http1",
      (await t.mintKey({ companyId: "globex", scopes: ["keys:admin"] })).secret,
    );
    platformAdmin = clients.client(
      "connect-json-http1",
      (await t.mintKey({ companyId: "keyward", scopes: ["platform:admin"] })).secret,
    );
    key = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    globexKey = await t.mintKey({ companyId: "globex", scopes: ["jobs:read"] });

    // Minute M0: /a 3, /b 5, POST /c 1, two scope denials.
    await send(key.secret, { path: "/a", sourceIp: "10.0.0.1" }, 3);
    await send(key.secret, { path: "/b", sourceIp: "10.0.0.2" }, 5);
    await send(key.secret, { method: "POST", path: "/c", sourceIp: "10.0.0.1" }, 1);
    await send(
      key.secret,
      { path: "/x", sourceIp: "10.0.0.3", contextExtensions: { scopes: "jobs:write" } },
      2,
    );
    // Minute M0+1: /a 4, /d 1.
    clock.now = M0 + MINUTE + 1000;
    await send(key.secret, { path: "/a", sourceIp: "10.0.0.1" }, 4);
    await send(key.secret, { path: "/d", sourceIp: "10.0.0.4" }, 1);
    // Minute M0+2: the globex key, and unknown keys from one address.
    clock.now = M0 + 2 * MINUTE + 1000;
    await send(globexKey.secret, { path: "/jobs", sourceIp: "10.1.0.1" }, 2);
    for (let i = 0; i < 3; i++) await send(wellFormedKey(), { sourceIp: "198.51.100.9" }, 1);
    await t.app.ctx.traffic.flush();
  });

  afterAll(async () => {
    envoy.close();
    clients.close();
    await t.close();
  });

  describe("GetKeyUsage", () => {
    it("counts every request of the default window (the last 24 hours)", async () => {
      const usage = await acmeAdmin.getKeyUsage({ keyId: key.id });
      expect(usage.keyId).toBe(key.id);
      expect(usage.requestCount).toBe(14n);
      expect(usage.deniedCount).toBe(2n);
      expect(usage.companies.map((c) => [c.companyId, c.requestCount, c.deniedCount])).toEqual([
        ["acme", 14n, 2n],
      ]);
    });

    it("orders the top endpoints by requests, then by path", async () => {
      const usage = await acmeAdmin.getKeyUsage({ keyId: key.id });
      expect(usage.topEndpoints.map((e) => [e.method, e.path, e.requestCount])).toEqual([
        ["GET", "/a", 7n],
        ["GET", "/b", 5n],
        ["POST", "/c", 1n],
        ["GET", "/d", 1n],
      ]);
    });

    it("counts only the minutes inside [start_time, end_time)", async () => {
      const first = await acmeAdmin.getKeyUsage({
        keyId: key.id,
        startTime: timestampFromMs(M0),
        endTime: timestampFromMs(M0 + MINUTE),
      });
      expect([first.requestCount, first.deniedCount]).toEqual([9n, 2n]);
      expect(first.topEndpoints.map((e) => [e.path, e.requestCount])).toEqual([
        ["/b", 5n],
        ["/a", 3n],
        ["/c", 1n],
      ]);
      const second = await acmeAdmin.getKeyUsage({
        keyId: key.id,
        startTime: timestampFromMs(M0 + MINUTE),
        endTime: timestampFromMs(M0 + 2 * MINUTE),
      });
      expect([second.requestCount, second.deniedCount]).toEqual([5n, 0n]);
      expect(second.topEndpoints.map((e) => [e.path, e.requestCount])).toEqual([
        ["/a", 4n],
        ["/d", 1n],
      ]);
      const before = await acmeAdmin.getKeyUsage({
        keyId: key.id,
        startTime: timestampFromMs(M0 - 10 * MINUTE),
        endTime: timestampFromMs(M0),
      });
      expect([before.requestCount, before.deniedCount, before.topEndpoints.length]).toEqual([0n, 0n, 0]);
    });

    it("refuses a window that ends before it starts", async () => {
      const err = await rpcError(
        acmeAdmin.getKeyUsage({
          keyId: key.id,
          startTime: timestampFromMs(M0),
          endTime: timestampFromMs(M0 - 1),
        }),
      );
      expect(err.code).toBe(Code.InvalidArgument);
    });

    it("tells when the key was last used", async () => {
      const usage = await acmeAdmin.getKeyUsage({ keyId: key.id });
      expect(usage.lastUsedTime && timestampMs(usage.lastUsedTime)).toBe(lastUse.get(key.secret));
      expect(lastUse.get(key.secret)).toBe(M0 + MINUTE + 1400);
    });

    it("answers NOT_FOUND for another company's key, and platform admins see every key", async () => {
      expect((await rpcError(globexAdmin.getKeyUsage({ keyId: key.id }))).code).toBe(Code.NotFound);
      expect((await rpcError(acmeAdmin.getKeyUsage({ keyId: globexKey.id }))).code).toBe(Code.NotFound);
      expect((await platformAdmin.getKeyUsage({ keyId: globexKey.id })).requestCount).toBe(2n);
    });
  });

  /** Every page of a ListAuthEvents query, following next_page_token. */
  async function allEvents(client: KeyAdminClient, req: Record<string, unknown>): Promise<AuthEvent[]> {
    const events: AuthEvent[] = [];
    let pageToken = "";
    for (let pages = 0; pages < 50; pages++) {
      const res = await client.listAuthEvents({ ...req, pageToken });
      events.push(...res.events);
      pageToken = res.nextPageToken;
      if (!pageToken) return events;
    }
    throw new Error("ListAuthEvents kept paging");
  }

  const summary = (events: AuthEvent[]) =>
    events
      .map(
        (e) => `${e.keyId} ${e.companyId} ${Number(e.minute?.seconds) * 1000 - M0} ${e.outcome} ${e.count}`,
      )
      .sort();

  describe("ListAuthEvents", () => {
    it("shows a company admin its own company's events only", async () => {
      const events = await allEvents(acmeAdmin, {});
      expect(summary(events)).toEqual(
        [
          `${key.id} acme 0 allow 9`,
          `${key.id} acme 0 insufficient_scope 2`,
          `${key.id} acme ${MINUTE} allow 5`,
        ].sort(),
      );
      const denied = events.find((e) => e.outcome === "insufficient_scope");
      expect(denied?.sourceIps).toEqual(["10.0.0.3"]);
      expect(denied?.distinctSourceIps).toBe(1);
      const allowed = events.find((e) => e.outcome === "allow" && Number(e.minute?.seconds) * 1000 === M0);
      expect([...(allowed?.sourceIps ?? [])].sort()).toEqual(["10.0.0.1", "10.0.0.2"]);
    });

    it("gives a company admin nothing of another company, by company or by key", async () => {
      expect((await acmeAdmin.listAuthEvents({ companyId: "globex" })).events).toEqual([]);
      expect((await rpcError(acmeAdmin.listAuthEvents({ keyId: globexKey.id }))).code).toBe(Code.NotFound);
      expect(summary(await allEvents(globexAdmin, {}))).toEqual([
        `${globexKey.id} globex ${2 * MINUTE} allow 2`,
      ]);
    });

    it("refuses the source_ip filter to company admins, and serves it to platform admins", async () => {
      const err = await rpcError(acmeAdmin.listAuthEvents({ sourceIp: "198.51.100.9" }));
      expect(err.code).toBe(Code.PermissionDenied);
      const events = await allEvents(platformAdmin, { sourceIp: "198.51.100.9" });
      expect(summary(events)).toEqual([`  ${2 * MINUTE} invalid_key 3`]);
      expect(events[0]?.sourceIp).toBe("198.51.100.9");
    });

    it("filters by key and outcome, and pages through everything exactly once", async () => {
      const scoped = await allEvents(platformAdmin, { keyId: key.id, outcome: "insufficient_scope" });
      expect(summary(scoped)).toEqual([`${key.id} acme 0 insufficient_scope 2`]);
      const all = await allEvents(platformAdmin, {});
      const paged = await allEvents(platformAdmin, { pageSize: 1 });
      expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(all).toHaveLength(5);
    });

    it("filters by time window", async () => {
      const events = await allEvents(acmeAdmin, {
        startTime: timestampFromMs(M0 + MINUTE),
        endTime: timestampFromMs(M0 + 2 * MINUTE),
      });
      expect(summary(events)).toEqual([`${key.id} acme ${MINUTE} allow 5`]);
    });
  });
});
