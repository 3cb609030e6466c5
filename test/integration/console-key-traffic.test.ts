import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postConnectJson } from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const MINUTE = 60_000;

interface ListedKey {
  id: string;
  name: string;
  requestCount24h?: string;
  deniedCount24h?: string;
  lastUsedTime?: string;
}

/**
 * What the console's tables and charts read: ListKeys with each key's last use and 24 h counts (one query per
 * page), free-text and hygiene filters, and GetKeyUsage as a time series by minute or hour.
 */
describe("ListKeys traffic and filters, GetKeyUsage buckets", () => {
  let t: TestApp;
  let admin: string;
  let busy: { secret: string; id: string };
  let quiet: { secret: string; id: string };
  let expiring: { secret: string; id: string };
  let fenced: { secret: string; id: string };

  const list = async (body: object): Promise<ListedKey[]> => {
    const res = await postConnectJson(t.adminUrl, "ListKeys", { companyId: "acme", ...body }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return ((res.body as { keys?: ListedKey[] }).keys ?? []).filter((k) => !k.name.startsWith("admin"));
  };

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"], name: "admin" })).secret;
    busy = await t.mintKey({
      companyId: "acme",
      scopes: ["jobs:read"],
      name: "Busy worker",
      ipAllowlist: [],
    });
    quiet = await t.mintKey({ companyId: "acme", scopes: ["jobs:read"], name: "Quiet cron" });
    expiring = await t.mintKey({
      companyId: "acme",
      name: "Soon gone",
      expireTime: new Date(Date.now() + 3 * 86_400_000),
      ipAllowlist: ["10.0.0.0/8"],
    });
    fenced = await t.mintKey({
      companyId: "acme",
      name: "Fenced",
      expireTime: new Date(Date.now() + 300 * 86_400_000),
      ipAllowlist: ["10.0.0.0/8"],
    });
    const envoy = new EnvoyClient(t.authzAddress);
    try {
      const auth = { authorization: `Bearer ${busy.secret}` };
      for (let i = 0; i < 6; i++)
        await envoy.check({ headers: auth, contextExtensions: { scopes: "jobs:read" } });
      for (let i = 0; i < 2; i++)
        await envoy.check({ headers: auth, contextExtensions: { scopes: "jobs:write" } });
    } finally {
      envoy.close();
    }
    await t.app.ctx.traffic.flush();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("gives each listed key its 24 h allowed and denied counts and its last use", async () => {
    const keys = await list({});
    const byId = new Map(keys.map((k) => [k.id, k]));
    expect(byId.get(busy.id)).toMatchObject({ requestCount24h: "6", deniedCount24h: "2" });
    expect(byId.get(busy.id)?.lastUsedTime).toBeDefined();
    // Proto3 JSON leaves zero counts out.
    expect(byId.get(quiet.id)?.requestCount24h ?? "0").toBe("0");
    expect(byId.get(quiet.id)?.lastUsedTime).toBeUndefined();
  });

  it("narrows by free text in the name, case-insensitively, and by id", async () => {
    expect((await list({ query: "busy" })).map((k) => k.id)).toEqual([busy.id]);
    expect((await list({ query: quiet.id })).map((k) => k.id)).toEqual([quiet.id]);
    expect(await list({ query: "100%_" })).toEqual([]);
  });

  it("narrows by hygiene finding", async () => {
    const ids = async (hygiene: string) => (await list({ hygiene })).map((k) => k.id).sort();
    expect(await ids("never_expires")).toEqual([busy.id, quiet.id].sort());
    expect(await ids("no_ip_allowlist")).toEqual([busy.id, quiet.id].sort());
    expect(await ids("expiring_7d")).toEqual([expiring.id]);
    // Nothing here is 90 days old.
    expect(await ids("unused_90d")).toEqual([]);
    expect(fenced.id).not.toBe(expiring.id);
    const bad = await postConnectJson(t.adminUrl, "ListKeys", { hygiene: "dusty" }, admin);
    expect(bad.status).toBe(400);
  });

  it("counts each hygiene finding on request, under the listing's other filters, whatever the page", async () => {
    const counts = async (body: object) => {
      const res = await postConnectJson(
        t.adminUrl,
        "ListKeys",
        { companyId: "acme", pageSize: 1, countHygiene: true, ...body },
        admin,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body as { hygieneCounts?: Record<string, string> }).hygieneCounts;
    };
    // The admin key never expires and has no allowlist either.
    expect(await counts({})).toEqual({
      never_expires: "3",
      no_ip_allowlist: "3",
      expiring_7d: "1",
      unused_90d: "0",
    });
    expect(await counts({ query: "Soon", hygiene: "never_expires" })).toEqual({
      never_expires: "0",
      no_ip_allowlist: "0",
      expiring_7d: "1",
      unused_90d: "0",
    });
    expect(await counts({ status: "revoked" })).toEqual({
      never_expires: "0",
      no_ip_allowlist: "0",
      expiring_7d: "0",
      unused_90d: "0",
    });
    const plain = await postConnectJson(t.adminUrl, "ListKeys", { companyId: "acme" }, admin);
    expect((plain.body as { hygieneCounts?: object }).hygieneCounts).toBeUndefined();
  });

  it("answers GetKeyUsage with a bucket per minute, empty ones included, summing to the totals", async () => {
    const end = new Date(Date.now() + MINUTE);
    const start = new Date(end.getTime() - 10 * MINUTE);
    const res = await postConnectJson(
      t.adminUrl,
      "GetKeyUsage",
      { keyId: busy.id, startTime: start.toISOString(), endTime: end.toISOString() },
      admin,
    );
    expect(res.status).toBe(200);
    const body = res.body as {
      granularity: string;
      buckets: { startTime: string; allowedCount?: string; deniedCount?: string }[];
    };
    expect(body.granularity).toBe("minute");
    expect(body.buckets.length).toBeGreaterThanOrEqual(10);
    expect(body.buckets.length).toBeLessThanOrEqual(11);
    const sum = (f: "allowedCount" | "deniedCount") =>
      body.buckets.reduce((n, b) => n + Number(b[f] ?? 0), 0);
    expect(sum("allowedCount")).toBe(6);
    expect(sum("deniedCount")).toBe(2);
    const starts = body.buckets.map((b) => Date.parse(b.startTime));
    for (let i = 1; i < starts.length; i++) expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBe(MINUTE);
  });

  it("defaults to hourly buckets over a day, and refuses a series too long to answer", async () => {
    const day = await postConnectJson(t.adminUrl, "GetKeyUsage", { keyId: busy.id }, admin);
    const body = day.body as { granularity: string; buckets: { allowedCount?: string }[] };
    expect(body.granularity).toBe("hour");
    expect(body.buckets.length).toBeGreaterThanOrEqual(24);
    expect(body.buckets.reduce((n, b) => n + Number(b.allowedCount ?? 0), 0)).toBe(6);
    const long = await postConnectJson(
      t.adminUrl,
      "GetKeyUsage",
      {
        keyId: busy.id,
        granularity: "minute",
        startTime: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      },
      admin,
    );
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toContain("granularity");
  });
});
