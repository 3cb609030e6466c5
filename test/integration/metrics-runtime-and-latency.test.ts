import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postConnectJson } from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { keyLookups, lookupDelta } from "../helpers/key-lookups.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

let t: TestApp;
let envoy: EnvoyClient;
let key: string;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  envoy = new EnvoyClient(t.authzAddress);
  key = (await t.mintKey({ companyId: "acme", scopes: ["reports:read"] })).secret;
  admin = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret;
});
afterAll(async () => {
  envoy.close();
  await t.close();
});

async function scrape(): Promise<string> {
  return (await fetch(`${t.adminUrl}/metrics`)).text();
}

function sample(text: string, series: string): number | undefined {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);
  const match = new RegExp(`^${escaped} ([0-9.e+-]+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Admin-key verifications so far, however each was resolved. */
function adminLookups(text: string): number {
  return ["malformed", "hit", "negative_hit", "query", "throttled", "stale"]
    .map((event) => sample(text, `keyward_admin_key_lookups_total{event="${event}"}`) ?? 0)
    .reduce((a, b) => a + b, 0);
}

describe("/metrics", () => {
  it("exports process and Node.js runtime metrics: memory, CPU, event-loop lag, GC", async () => {
    const text = await scrape();
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds [0-9.e+-]+$/m);
    expect(text).toContain("# TYPE nodejs_gc_duration_seconds histogram");
  });

  it("times every Check: the latency histogram's count per outcome is the number of those Checks", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await envoy.check({ headers: { authorization: `Bearer ${key}` } })).status.code).toBe(0);
    }
    for (let i = 0; i < 3; i++) expect((await envoy.check({ headers: {} })).status.code).toBe(16);
    const text = (await scrape())
      .split("\n")
      .filter((l) => l.startsWith("keyward_check"))
      .join("\n");
    expect(sample(text, 'keyward_check_duration_seconds_count{outcome="allow",protocol="grpc"}'), text).toBe(
      5,
    );
    expect(sample(text, 'keyward_check_duration_seconds_count{outcome="missing_key",protocol="grpc"}')).toBe(
      3,
    );
    expect(sample(text, 'keyward_checks_total{outcome="allow",protocol="grpc"}')).toBe(5);
    expect(
      sample(text, 'keyward_check_duration_seconds_bucket{le="+Inf",outcome="allow",protocol="grpc"}'),
    ).toBe(5);
  });

  it("counts admin-key lookups apart from the Check path's", async () => {
    const before = await keyLookups(t.adminUrl);
    const adminBefore = adminLookups(await scrape());
    const res = await postConnectJson(t.adminUrl, "ListKeys", {}, admin);
    expect(res.status).toBe(200);
    expect(adminLookups(await scrape()) - adminBefore).toBe(1);
    const delta = lookupDelta(before, await keyLookups(t.adminUrl));
    for (const [event, n] of Object.entries(delta)) expect(n, event).toBe(0);
  });

  it("warns once per distinct route setting that cannot be parsed, not once per request", async () => {
    const bad = (companyFrom: string) =>
      envoy.check({
        headers: { authorization: `Bearer ${key}` },
        contextExtensions: { company_from: companyFrom },
      });
    for (let i = 0; i < 4; i++) expect((await bad("query:company")).status.code).toBe(7);
    for (let i = 0; i < 2; i++) expect((await bad("path:/v1/{company}/{company}")).status.code).toBe(7);
    const warnings = t.logs
      .map((line) => JSON.parse(line) as { level: number; msg: string; problem?: string })
      .filter((l) => l.level === 40 && l.msg.includes("Check settings cannot be used"));
    expect(warnings).toHaveLength(2);
    expect(warnings.map((w) => w.problem)).toEqual([
      expect.stringContaining('company_from must start with "path:" or "header:"'),
      expect.stringContaining("with one {company} segment"),
    ]);
  });
});
