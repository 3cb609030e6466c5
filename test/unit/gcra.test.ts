import { describe, expect, it } from "vitest";
import type { RateLimitSpec } from "../../src/keys/key-record.js";
import { gcra } from "../../src/ratelimit/gcra.js";
import { LocalLimiter } from "../../src/ratelimit/local-limiter.js";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** Runs `n` requests at `now` through one GCRA state, returning every result and the final state. */
function burst(tat: number | undefined, now: number, spec: RateLimitSpec, n: number) {
  const results: ReturnType<typeof gcra>[] = [];
  let state = tat;
  for (let i = 0; i < n; i++) {
    const r = gcra(state, now, spec);
    results.push(r);
    if (r.allowed) state = r.tat;
  }
  return { results, tat: state };
}

describe("GCRA capacity from idle", () => {
  it.each([
    [{ requests: 5, windowMs: 1000, burst: 0 }, 5],
    [{ requests: 5, windowMs: 60_000, burst: 0 }, 5],
    [{ requests: 5, windowMs: 60_000, burst: 3 }, 8],
    [{ requests: 1, windowMs: 1000, burst: 0 }, 1],
    [{ requests: 100, windowMs: 1000, burst: 50 }, 150],
    [{ requests: 3, windowMs: 1000, burst: 0 }, 3],
  ])("%o admits exactly %d at one instant", (spec, capacity) => {
    const { results } = burst(undefined, T0, spec, capacity + 3);
    expect(results.filter((r) => r.allowed)).toHaveLength(capacity);
    expect(results.slice(0, capacity).every((r) => r.allowed)).toBe(true);
    expect(results.slice(capacity).every((r) => !r.allowed)).toBe(true);
  });

  it("treats a state in the past as idle", () => {
    const spec = { requests: 4, windowMs: 1000, burst: 1 };
    const { results } = burst(T0 - 3_600_000, T0, spec, 6);
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });
});

describe("GCRA remaining and reset", () => {
  const spec = { requests: 5, windowMs: 60_000, burst: 2 };

  it("counts the remaining budget down to zero", () => {
    const { results } = burst(undefined, T0, spec, 8);
    expect(results.map((r) => r.remaining)).toEqual([6, 5, 4, 3, 2, 1, 0, 0]);
  });

  it("resets after the time the consumed budget takes to refill", () => {
    const { results } = burst(undefined, T0, spec, 7);
    // One request's worth refills in windowMs / requests = 12 s.
    expect(results.map((r) => r.resetMs)).toEqual([12_000, 24_000, 36_000, 48_000, 60_000, 72_000, 84_000]);
  });

  it("reports zero retry-after on every allowed request", () => {
    const { results } = burst(undefined, T0, spec, 7);
    expect(results.every((r) => r.retryAfterMs === 0)).toBe(true);
  });

  it("leaves the state alone on a denial", () => {
    const { tat } = burst(undefined, T0, spec, 7);
    const denied = gcra(tat, T0, spec);
    expect(denied.allowed).toBe(false);
    expect(denied.tat).toBe(tat);
    expect(denied.resetMs).toBe(84_000);
  });
});

describe("GCRA refill and retry-after", () => {
  const spec = { requests: 5, windowMs: 1000, burst: 0 };

  it("tells the denied caller exactly when the next request passes", () => {
    const { tat } = burst(undefined, T0, spec, 5);
    const denied = gcra(tat, T0, spec);
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 200 });
    expect(gcra(tat, T0 + 199, spec).allowed).toBe(false);
    expect(gcra(tat, T0 + 199, spec).retryAfterMs).toBe(1);
    const after = gcra(tat, T0 + 200, spec);
    expect(after.allowed).toBe(true);
    expect(after.remaining).toBe(0);
  });

  it("refills at `requests` per window, one request every windowMs / requests", () => {
    let { tat } = burst(undefined, T0, spec, 5);
    let allowed = 0;
    // 10 s of steady pressure, one attempt every 10 ms: 5 per second get through, no more.
    for (let now = T0 + 10; now <= T0 + 10_000; now += 10) {
      const r = gcra(tat, now, spec);
      if (r.allowed) {
        allowed++;
        tat = r.tat;
      }
    }
    expect(allowed).toBe(50);
  });

  it("is whole again once a full window has passed idle", () => {
    const { tat } = burst(undefined, T0, spec, 5);
    const { results } = burst(tat, T0 + 1000, spec, 6);
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results[0]?.remaining).toBe(4);
  });

  it("refills partially in proportion to the time passed", () => {
    const { tat } = burst(undefined, T0, spec, 5);
    const { results } = burst(tat, T0 + 600, spec, 5);
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
  });

  it("handles windows that do not divide evenly", () => {
    const odd = { requests: 3, windowMs: 1000, burst: 0 };
    const { tat, results } = burst(undefined, T0, odd, 4);
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3]?.retryAfterMs).toBe(334);
    expect(gcra(tat, T0 + 334, odd).allowed).toBe(true);
  });
});

describe("LocalLimiter", () => {
  it("keeps one budget per key and follows its clock", () => {
    let now = T0;
    const limiter = new LocalLimiter(() => now);
    const spec = { requests: 2, windowMs: 1000, burst: 0 };
    expect([1, 2, 3].map(() => limiter.take("a", spec).allowed)).toEqual([true, true, false]);
    expect(limiter.take("b", spec).allowed).toBe(true);
    now += 500;
    expect(limiter.take("a", spec).allowed).toBe(true);
    expect(limiter.take("a", spec).allowed).toBe(false);
  });

  it("sweeps keys whose budget is whole again, not keys that are still limited", () => {
    let now = T0;
    const limiter = new LocalLimiter(() => now, 3);
    const slow = { requests: 1, windowMs: 60_000, burst: 0 };
    const fast = { requests: 1, windowMs: 10, burst: 0 };
    expect(limiter.take("busy", slow).allowed).toBe(true);
    for (const id of ["x", "y"]) limiter.take(id, fast);
    now += 100;
    // A fourth key finds the map full: the sweep drops x and y (idle again) and keeps "busy".
    expect(limiter.take("z", slow).allowed).toBe(true);
    expect(limiter.take("busy", slow).allowed).toBe(false);
    expect(limiter.take("z", slow).allowed).toBe(false);
  });
});
