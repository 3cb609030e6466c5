import { describe, expect, it } from "vitest";
import { rowCount } from "../../src/usage/traffic-batch.js";
import { MAX_KEYLESS_SOURCES, TrafficBuckets } from "../../src/usage/traffic-buckets.js";
import { MAX_ENDPOINTS_PER_KEY, MAX_IPS_PER_BUCKET, OTHER } from "../../src/usage/traffic-merge.js";

const M0 = 60_000 * 29_000_000;
const M1 = M0 + 60_000;

function buckets(maxBuckets = 100_000): { b: TrafficBuckets; full: () => number } {
  let full = 0;
  return { b: new TrafficBuckets(maxBuckets, () => full++), full: () => full };
}

describe("TrafficBuckets", () => {
  it("counts allowed and denied requests per key, company and minute, whichever path a request takes", () => {
    const { b } = buckets();
    b.add("allow", "k1", "acme", "GET", "/a", "10.0.0.1", M0 + 1);
    b.add("allow", "k1", "acme", "GET", "/a", "10.0.0.2", M0 + 2); // the repeat: the fast path
    b.add("scope_missing", "k1", "acme", "GET", "/a", "10.0.0.1", M0 + 3);
    b.add("allow", "k1", "beta", "GET", "/a", "10.0.0.1", M0 + 4);
    b.add("allow", "k1", "acme", "GET", "/a", "10.0.0.1", M1);
    const batch = b.take();
    const usage = [...batch.usage.values()].map((u) => [u.companyId, u.minute, u.requests, u.denied]);
    expect(usage).toEqual([
      ["acme", M0, 2, 1],
      ["beta", M0, 1, 0],
      ["acme", M1, 1, 0],
    ]);
    const endpoints = [...batch.endpoints.values()].map((e) => [e.minute, e.path, e.requests]);
    expect(endpoints).toEqual([
      [M0, "/a", 3],
      [M1, "/a", 1],
    ]);
    const allowM0 = [...batch.auth.values()].find(
      (a) => a.outcome === "allow" && a.companyId === "acme" && a.minute === M0,
    );
    expect(allowM0?.count).toBe(2);
    expect([...(allowM0?.sourceIps ?? [])]).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(batch.lastUsed.get("k1")).toBe(M1);
  });

  it("files keyless failures under their source, at most MAX_KEYLESS_SOURCES a minute, the rest under (other)", () => {
    const { b } = buckets();
    for (let i = 0; i < MAX_KEYLESS_SOURCES + 5; i++)
      b.add("unknown_key", null, null, "GET", "/", null, M0, `s${i}`);
    b.add("unknown_key", null, null, "GET", "/", null, M1, `s${MAX_KEYLESS_SOURCES + 4}`);
    const auth = [...b.take().auth.values()];
    expect(auth.filter((a) => a.minute === M0)).toHaveLength(MAX_KEYLESS_SOURCES + 1);
    expect(auth.find((a) => a.sourceIp === OTHER)?.count).toBe(5);
    // A new minute counts its sources afresh.
    expect(auth.find((a) => a.minute === M1)?.sourceIp).toBe(`s${MAX_KEYLESS_SOURCES + 4}`);
    expect(auth.every((a) => a.keyId === "" && a.sourceIps.size === 0)).toBe(true);
  });

  it("folds a key's endpoints past MAX_ENDPOINTS_PER_KEY a minute into (other)", () => {
    const { b } = buckets();
    for (let i = 0; i < MAX_ENDPOINTS_PER_KEY + 3; i++)
      b.add("allow", "k1", "acme", "GET", `/p${i}`, null, M0);
    const endpoints = [...b.take().endpoints.values()];
    expect(endpoints).toHaveLength(MAX_ENDPOINTS_PER_KEY + 1);
    expect(endpoints.find((e) => e.path === OTHER)?.requests).toBe(3);
  });

  it("buckets paths by what is stored: a lone surrogate and U+FFFD share one, a cut never splits a pair", () => {
    const { b } = buckets();
    const stem = "/".padEnd(255, "x");
    b.add("allow", "k1", "acme", "GET", `${stem}\uD83D`, null, M0);
    b.add("allow", "k1", "acme", "GET", `${stem}\uFFFD`, null, M0);
    b.add("allow", "k1", "acme", "GET", `${stem}\u{1F600}tail`, null, M0);
    b.add("allow", "k1", "acme", "GET", "/nul\u0000", null, M0);
    const paths = [...b.take().endpoints.values()].map((e) => [e.path, e.requests]);
    expect(paths).toEqual([
      [`${stem}\uFFFD`, 2],
      [stem, 1],
      ["/nul", 1],
    ]);
  });

  it("keeps at most MAX_IPS_PER_BUCKET source IPs per bucket while counting every request", () => {
    const { b } = buckets();
    for (let i = 0; i < MAX_IPS_PER_BUCKET + 10; i++)
      b.add("allow", "k1", "acme", "GET", "/", `10.0.${i >> 8}.${i & 255}`, M0);
    const [auth] = [...b.take().auth.values()];
    expect(auth?.count).toBe(MAX_IPS_PER_BUCKET + 10);
    expect(auth?.sourceIps.size).toBe(MAX_IPS_PER_BUCKET);
  });

  it("drops what needs a new bucket once full, and says so for each, while existing buckets keep counting", () => {
    const { b, full } = buckets(3);
    b.add("allow", "k1", "acme", "GET", "/", null, M0); // usage, endpoint, auth: three buckets
    b.add("allow", "k2", "acme", "GET", "/", null, M0);
    b.add("allow", "k1", "acme", "GET", "/", null, M0);
    expect(full()).toBeGreaterThan(0);
    const batch = b.take();
    expect([...batch.usage.values()].map((u) => [u.keyId, u.requests])).toEqual([["k1", 2]]);
    expect(batch.lastUsed.has("k2")).toBe(false);
  });

  it("take() hands over the batch and starts an empty one; restore() merges a failed batch back in", () => {
    const { b } = buckets();
    b.add("allow", "k1", "acme", "GET", "/", null, M0 + 5);
    const failed = b.take();
    expect(b.size).toBe(0);
    expect(b.lastUsed("k1")).toBeUndefined();
    b.add("allow", "k1", "acme", "GET", "/", null, M0 + 9);
    b.restore(failed);
    expect(b.lastUsed("k1")).toBe(M0 + 9);
    // The fast path must not bump buckets of the batch that was handed over.
    b.add("allow", "k1", "acme", "GET", "/", null, M0 + 10);
    const merged = b.take();
    expect([...merged.usage.values()].map((u) => u.requests)).toEqual([3]);
    expect([...merged.endpoints.values()].map((e) => e.requests)).toEqual([3]);
    expect(rowCount(merged)).toBe(4);
    expect(rowCount(failed)).toBe(4);
  });
});
