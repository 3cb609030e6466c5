import { describe, expect, it } from "vitest";
import { KeyCache, type KeyCacheOptions } from "../../src/authz/key-cache.js";
import { key, NOW } from "./support/decision-inputs.js";

/** A cache on a clock the test moves, enabled as when the change feed is connected. */
function cache(options: Partial<KeyCacheOptions> = {}) {
  const clock = { now: NOW };
  const c = new KeyCache({
    maxEntries: 100,
    ttlMs: 30_000,
    negativeTtlMs: 2000,
    maxNegative: 100,
    now: () => clock.now,
    ...options,
  });
  c.enabled = true;
  return { c, clock };
}

describe("KeyCache hits and misses", () => {
  it("misses, then hits what was stored under the digest", () => {
    const { c } = cache();
    const k = key({ id: "key_a" });
    expect(c.get("d1")).toBeUndefined();
    c.set("d1", k, c.generation);
    expect(c.get("d1")).toBe(k);
    expect(c.get("d2")).toBeUndefined();
  });

  it("remembers an unknown digest as null", () => {
    const { c } = cache();
    c.set("nope", null, c.generation);
    expect(c.get("nope")).toBeNull();
    expect(c.size).toEqual({ positive: 0, negative: 1 });
  });
});

describe("KeyCache expiry", () => {
  it("drops a key once its TTL has passed", () => {
    const { c, clock } = cache({ ttlMs: 1000 });
    c.set("d1", key({ id: "key_a" }), c.generation);
    clock.now += 999;
    expect(c.get("d1")?.id).toBe("key_a");
    clock.now += 1;
    expect(c.get("d1")).toBeUndefined();
    expect(c.size.positive).toBe(0);
  });

  it("does not extend the TTL on a hit", () => {
    const { c, clock } = cache({ ttlMs: 1000 });
    c.set("d1", key({ id: "key_a" }), c.generation);
    for (let i = 0; i < 9; i++) {
      clock.now += 100;
      expect(c.get("d1")?.id).toBe("key_a");
    }
    clock.now += 100;
    expect(c.get("d1")).toBeUndefined();
  });

  it("forgets an unknown digest after the negative TTL", () => {
    const { c, clock } = cache({ negativeTtlMs: 2000 });
    c.set("nope", null, c.generation);
    clock.now += 1999;
    expect(c.get("nope")).toBeNull();
    clock.now += 1;
    expect(c.get("nope")).toBeUndefined();
    expect(c.size.negative).toBe(0);
  });
});

describe("KeyCache bounds", () => {
  it("evicts the least recently used key when full", () => {
    const { c, clock } = cache({ maxEntries: 3 });
    for (const n of [1, 2, 3]) c.set(`d${n}`, key({ id: `key_${n}` }), c.generation);
    // Touch d1 so d2 becomes the least recently used.
    clock.now += 1000;
    expect(c.get("d1")?.id).toBe("key_1");
    c.set("d4", key({ id: "key_4" }), c.generation);
    expect(c.size.positive).toBe(3);
    expect(c.get("d2")).toBeUndefined();
    expect(c.get("d1")?.id).toBe("key_1");
    expect(c.get("d3")?.id).toBe("key_3");
    expect(c.get("d4")?.id).toBe("key_4");
  });

  it("keeps recency to the second: a key used again within a second of its last move stays in place", () => {
    const { c, clock } = cache({ maxEntries: 3 });
    for (const n of [1, 2, 3]) c.set(`d${n}`, key({ id: `key_${n}` }), c.generation);
    clock.now += 999;
    expect(c.get("d1")?.id).toBe("key_1");
    c.set("d4", key({ id: "key_4" }), c.generation);
    expect(c.get("d1")).toBeUndefined();
    expect(c.get("d2")?.id).toBe("key_2");
  });

  it("never holds more than maxEntries keys", () => {
    const { c } = cache({ maxEntries: 10 });
    for (let n = 0; n < 1000; n++) c.set(`d${n}`, key({ id: `key_${n}` }), c.generation);
    expect(c.size.positive).toBe(10);
    expect(c.get("d999")?.id).toBe("key_999");
    expect(c.get("d989")).toBeUndefined();
  });

  it("bounds unknown digests separately, so a flood of bad keys cannot evict real ones", () => {
    const { c } = cache({ maxEntries: 5, maxNegative: 4 });
    c.set("real", key({ id: "key_real" }), c.generation);
    for (let n = 0; n < 100; n++) c.set(`bad${n}`, null, c.generation);
    expect(c.size).toEqual({ positive: 1, negative: 4 });
    expect(c.get("real")?.id).toBe("key_real");
    expect(c.get("bad99")).toBeNull();
    expect(c.get("bad95")).toBeUndefined();
  });

  it("does not count a re-stored key twice", () => {
    const { c } = cache({ maxEntries: 2 });
    c.set("d1", key({ id: "key_1" }), c.generation);
    c.set("d2", key({ id: "key_2" }), c.generation);
    c.set("d2", key({ id: "key_2", scopes: ["x:read"] }), c.generation);
    expect(c.get("d1")?.id).toBe("key_1");
    expect(c.get("d2")?.scopes).toEqual(["x:read"]);
  });

  it("does not count a re-stored unknown digest twice", () => {
    const { c, clock } = cache({ maxNegative: 2, negativeTtlMs: 1000 });
    c.set("bad1", null, c.generation);
    c.set("bad2", null, c.generation);
    clock.now += 500;
    c.set("bad2", null, c.generation);
    expect(c.get("bad1")).toBeNull();
    clock.now += 600;
    // bad2 was stored again at +500, so it is still remembered at +1100; bad1 is not.
    expect(c.get("bad2")).toBeNull();
    expect(c.get("bad1")).toBeUndefined();
  });
});

describe("KeyCache invalidation", () => {
  it("drops one key by id and leaves the others", () => {
    const { c } = cache();
    c.set("d1", key({ id: "key_1" }), c.generation);
    c.set("d2", key({ id: "key_2" }), c.generation);
    c.invalidate("key_1");
    expect(c.get("d1")).toBeUndefined();
    expect(c.get("d2")?.id).toBe("key_2");
  });

  it("ignores an id it does not hold", () => {
    const { c } = cache();
    c.set("d1", key({ id: "key_1" }), c.generation);
    c.invalidate("key_other");
    expect(c.get("d1")?.id).toBe("key_1");
  });

  it("clears everything, known and unknown", () => {
    const { c } = cache();
    c.set("d1", key({ id: "key_1" }), c.generation);
    c.set("nope", null, c.generation);
    c.clear();
    expect(c.size).toEqual({ positive: 0, negative: 0 });
    expect(c.get("d1")).toBeUndefined();
    expect(c.get("nope")).toBeUndefined();
  });

  it("refuses a lookup result read before an invalidation (it may be stale)", () => {
    const { c } = cache();
    const before = c.generation;
    c.invalidate("key_1");
    c.set("d1", key({ id: "key_1", status: "active" }), before);
    expect(c.get("d1")).toBeUndefined();
    c.set("d1", key({ id: "key_1", status: "revoked" }), c.generation);
    expect(c.get("d1")?.status).toBe("revoked");
  });

  it("refuses a lookup result read before a clear", () => {
    const { c } = cache();
    const before = c.generation;
    c.clear();
    c.set("nope", null, before);
    expect(c.get("nope")).toBeUndefined();
  });

  it("drops an evicted key's id, so invalidating it later touches nothing else", () => {
    const { c } = cache({ maxEntries: 1 });
    c.set("d1", key({ id: "key_1" }), c.generation);
    c.set("d2", key({ id: "key_2" }), c.generation);
    c.invalidate("key_1");
    expect(c.get("d2")?.id).toBe("key_2");
  });
});

describe("KeyCache while disabled (change feed down)", () => {
  it("neither answers nor stores", () => {
    const { c } = cache();
    c.set("d1", key({ id: "key_1" }), c.generation);
    c.enabled = false;
    expect(c.get("d1")).toBeUndefined();
    c.set("d2", key({ id: "key_2" }), c.generation);
    c.set("nope", null, c.generation);
    c.enabled = true;
    expect(c.get("d2")).toBeUndefined();
    expect(c.get("nope")).toBeUndefined();
  });

  it("starts disabled until told the feed is up", () => {
    const c = new KeyCache({
      maxEntries: 10,
      ttlMs: 1000,
      negativeTtlMs: 1000,
      maxNegative: 10,
      now: () => NOW,
    });
    c.set("d1", key({ id: "key_1" }), c.generation);
    expect(c.get("d1")).toBeUndefined();
    expect(c.size.positive).toBe(0);
  });
});

describe("KeyCache stale-if-error", () => {
  it("serves nothing while untrusted, but keeps what the database said for a failure", () => {
    const { c, clock } = cache({ staleMs: 30_000 });
    c.enabled = false;
    const k = key({ id: "key_a" });
    c.set("d1", k, c.generation);
    expect(c.get("d1")).toBeUndefined();
    expect(c.stale("d1", clock.now)).toBe(k);
    c.set("unknown", null, c.generation);
    expect(c.size.negative).toBe(0);
  });

  it("keeps a key at most staleMs past its TTL", () => {
    const { c, clock } = cache({ ttlMs: 1000, staleMs: 5000 });
    const k = key({ id: "key_a" });
    c.set("d1", k, c.generation);
    clock.now += 1000;
    expect(c.get("d1")).toBeUndefined();
    expect(c.stale("d1", clock.now)).toBe(k);
    clock.now += 4999;
    expect(c.stale("d1", clock.now)).toBe(k);
    clock.now += 1;
    expect(c.stale("d1", clock.now)).toBeUndefined();
  });

  it("keeps nothing for a failure when staleMs is 0 (strict)", () => {
    const { c, clock } = cache({ ttlMs: 1000 });
    c.set("d1", key({ id: "key_a" }), c.generation);
    c.enabled = false;
    expect(c.stale("d1", clock.now)).toBeDefined();
    clock.now += 1000;
    expect(c.stale("d1", clock.now)).toBeUndefined();
  });

  it("does not vouch for a key cached before a feed loss that came long before the failure", () => {
    const { c, clock } = cache({ staleMs: 30_000 });
    c.set("old", key({ id: "key_old" }), c.generation);
    clock.now += 100;
    c.enabled = false;
    clock.now += 1000;
    // Read from the database after the feed was lost: as fresh as the database's last word.
    c.set("reread", key({ id: "key_reread" }), c.generation);
    clock.now += 9000;
    expect(c.stale("old", clock.now)).toBeUndefined();
    expect(c.stale("reread", clock.now)?.id).toBe("key_reread");
  });

  it("vouches for it when the feed loss was part of the same failure", () => {
    const { c, clock } = cache({ staleMs: 30_000 });
    c.set("old", key({ id: "key_old" }), c.generation);
    c.enabled = false;
    clock.now += 3000;
    expect(c.stale("old", clock.now)?.id).toBe("key_old");
  });

  it("forgets a changed key for stale answers too", () => {
    const { c, clock } = cache({ staleMs: 30_000 });
    c.set("d1", key({ id: "key_a" }), c.generation);
    c.invalidate("key_a");
    expect(c.stale("d1", clock.now)).toBeUndefined();
  });
});
