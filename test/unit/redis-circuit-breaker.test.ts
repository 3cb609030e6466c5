import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/ratelimit/circuit-breaker.js";

function breaker() {
  const clock = { now: 1_000_000 };
  const b = new CircuitBreaker({ failures: 3, openMs: 2000, now: () => clock.now });
  return { b, clock };
}

describe("the Redis circuit breaker", () => {
  it("asks Redis while it answers, and forgives failures that are not consecutive", () => {
    const { b } = breaker();
    for (let i = 0; i < 5; i++) {
      expect(b.allow()).toBe(true);
      b.failure();
      b.failure();
      b.success();
    }
    expect(b.mode).toBe("global");
  });

  it("opens after three failures in a row: no request asks Redis until the open time has passed", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    expect(b.mode).toBe("local");
    expect(b.allow()).toBe(false);
    clock.now += 1999;
    expect(b.allow()).toBe(false);
  });

  it("then lets exactly one request probe at a time", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    clock.now += 2000;
    expect(b.mode).toBe("probing");
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false);
    expect(b.mode).toBe("probing");
  });

  it("closes when the probe succeeds", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    clock.now += 2000;
    b.allow();
    b.success();
    expect(b.mode).toBe("global");
    expect(b.allow()).toBe(true);
  });

  it("opens again for the whole open time when the probe fails", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    clock.now += 2000;
    b.allow();
    b.failure();
    expect(b.mode).toBe("local");
    clock.now += 1999;
    expect(b.allow()).toBe(false);
    clock.now += 1;
    expect(b.allow()).toBe(true);
  });
});
