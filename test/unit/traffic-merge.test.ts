import { describe, expect, it } from "vitest";
import { emptyBatch, type TrafficBatch } from "../../src/usage/traffic-batch.js";
import {
  endpointKey,
  MAX_ENDPOINTS_PER_KEY,
  MAX_IPS_PER_BUCKET,
  mergeBatches,
  OTHER,
  perKeyMinute,
} from "../../src/usage/traffic-merge.js";

const M = 60_000 * 1000;

function withUsage(b: TrafficBatch, keyId: string, requests: number, denied: number): TrafficBatch {
  b.usage.set(`${keyId}\u0000acme\u0000${M}`, { keyId, companyId: "acme", minute: M, requests, denied });
  return b;
}

function withEndpoint(b: TrafficBatch, keyId: string, path: string, requests: number): TrafficBatch {
  b.endpoints.set(endpointKey(keyId, M, "GET", path), { keyId, minute: M, method: "GET", path, requests });
  return b;
}

function withAuth(b: TrafficBatch, keyId: string, count: number, ips: string[]): TrafficBatch {
  const key = `${M}\u0000${keyId}\u0000acme\u0000\u0000allow`;
  b.auth.set(key, {
    minute: M,
    keyId,
    companyId: "acme",
    sourceIp: "",
    outcome: "allow",
    count,
    sourceIps: new Set(ips),
  });
  return b;
}

describe("mergeBatches", () => {
  it("adds usage counts of the same bucket and keeps buckets only one side has", () => {
    const failed = withUsage(emptyBatch(), "k1", 3, 1);
    const current = withUsage(withUsage(emptyBatch(), "k1", 2, 5), "k2", 7, 0);
    mergeBatches(failed, current);
    expect([...failed.usage.values()].map((u) => [u.keyId, u.requests, u.denied])).toEqual([
      ["k1", 5, 6],
      ["k2", 7, 0],
    ]);
  });

  it("adds endpoint counts, and folds endpoints past the per-key cap into (other)", () => {
    const failed = emptyBatch();
    for (let i = 0; i < MAX_ENDPOINTS_PER_KEY; i++) withEndpoint(failed, "k1", `/p${i}`, 1);
    const current = withEndpoint(withEndpoint(emptyBatch(), "k1", "/p0", 4), "k1", "/new", 2);
    withEndpoint(current, "k1", "/newer", 3);
    const counts = mergeBatches(failed, current);
    expect(failed.endpoints.get(endpointKey("k1", M, "GET", "/p0"))?.requests).toBe(5);
    expect(failed.endpoints.has(endpointKey("k1", M, "GET", "/new"))).toBe(false);
    expect(failed.endpoints.get(endpointKey("k1", M, "GET", OTHER))?.requests).toBe(5);
    expect(counts.get(perKeyMinute("k1", M))).toBe(MAX_ENDPOINTS_PER_KEY);
  });

  it("keeps a new endpoint while the key is under its cap, and counts it", () => {
    const failed = withEndpoint(emptyBatch(), "k1", "/a", 1);
    const counts = mergeBatches(failed, withEndpoint(emptyBatch(), "k1", "/b", 2));
    expect(failed.endpoints.get(endpointKey("k1", M, "GET", "/b"))?.requests).toBe(2);
    expect(counts.get(perKeyMinute("k1", M))).toBe(2);
  });

  it("unites source IPs as a set, up to their cap, and adds the counts", () => {
    const many = Array.from({ length: MAX_IPS_PER_BUCKET }, (_, i) => `10.0.0.${i}`);
    const failed = withAuth(emptyBatch(), "k1", 2, ["192.0.2.1"]);
    mergeBatches(failed, withAuth(emptyBatch(), "k1", 3, ["192.0.2.1", ...many]));
    const [bucket] = [...failed.auth.values()];
    expect(bucket?.count).toBe(5);
    expect(bucket?.sourceIps.size).toBe(MAX_IPS_PER_BUCKET);
    expect(bucket?.sourceIps.has("192.0.2.1")).toBe(true);
  });

  it("keeps the newest last use of each key", () => {
    const failed = emptyBatch();
    failed.lastUsed.set("k1", 5).set("k2", 9);
    const current = emptyBatch();
    current.lastUsed.set("k1", 7).set("k2", 8).set("k3", 1);
    mergeBatches(failed, current);
    expect([...failed.lastUsed]).toEqual([
      ["k1", 7],
      ["k2", 9],
      ["k3", 1],
    ]);
  });
});
