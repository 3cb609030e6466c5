import { describe, expect, it } from "vitest";
import { type Measurement, medianOfRounds } from "../../bench/measure.js";
import { pairedRatio } from "../../bench/ratios.js";

function round(p99: number, reqPerSec: number, problem: string | null = null): Measurement {
  return {
    target: "keyward",
    requests: 10_000,
    reqPerSec,
    latency: { count: 10_000, mean: p99 / 4, p50: p99 / 3, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 5 },
    cpuUsPerRequest: reqPerSec / 1000,
    problem,
  };
}

describe("the bench's rounds at one load", () => {
  it("take each figure's median, so one disturbed round does not decide the p99", () => {
    const combined = medianOfRounds([round(2, 1000), round(30, 990), round(3, 1001)]);
    expect(combined.latency?.p99).toBe(3);
    expect(combined.latency?.p50).toBe(1);
    expect(combined.reqPerSec).toBe(1000);
    expect(combined.cpuUsPerRequest).toBe(1);
  });

  it("keep the worst max and every request and problem", () => {
    const combined = medianOfRounds([round(2, 1000), round(30, 990, "keyward: 3 failed"), round(3, 1001)]);
    expect(combined.latency?.max).toBe(150);
    expect(combined.latency?.count).toBe(30_000);
    expect(combined.requests).toBe(30_000);
    expect(combined.problem).toBe("keyward: 3 failed");
  });

  it("average the middle two of an even number of rounds, and pass a single round through", () => {
    expect(medianOfRounds([round(2, 1000), round(4, 1000)]).latency?.p99).toBe(3);
    const only = round(7, 1000);
    expect(medianOfRounds([only])).toBe(only);
  });
});

describe("the bench's Keyward / bare ratio", () => {
  it("is taken round by round, so a machine that slowed between rounds does not skew it", () => {
    // The machine ran at half speed in the second round: both servers' rates halved.
    const r = pairedRatio([
      { a: 14_000, b: 20_000 },
      { a: 7_000, b: 10_000 },
      { a: 15_000, b: 20_000 },
    ]);
    expect(r.median).toBeCloseTo(0.7);
    expect(r.low).toBeCloseTo(0.7);
    expect(r.high).toBeCloseTo(0.75);
    expect(r.rounds).toBe(3);
    // Each server's best round taken on its own would say 15,000 / 20,000.
  });

  it("skips a round whose baseline answered nothing, and refuses to compare no rounds", () => {
    expect(
      pairedRatio([
        { a: 5, b: 0 },
        { a: 8, b: 10 },
      ]).median,
    ).toBeCloseTo(0.8);
    expect(() => pairedRatio([{ a: 5, b: 0 }])).toThrow(/no rounds/);
  });
});
