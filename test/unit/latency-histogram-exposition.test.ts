import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../src/latency-histogram.js";

const BUCKETS = [0.001, 0.01, 0.1];
const SECONDS = [0.0005, 0.001, 0.002, 0.05, 0.1, 3];

/** The exposition prom-client's own histogram gives for the same observations, for comparison. */
async function promClientText(): Promise<string> {
  const registry = new Registry();
  const reference = new Histogram({
    name: "check_seconds",
    help: "h",
    labelNames: ["outcome", "protocol"],
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const s of SECONDS) reference.labels("allow", "grpc").observe(s);
  reference.labels("missing_key", "http").observe(0.02);
  return registry.metrics();
}

describe("the Check latency histogram", () => {
  it("exposes exactly what prom-client's histogram exposes for the same observations", async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram(registry, "check_seconds", "h", ["outcome", "protocol"], BUCKETS);
    const allow = histogram.cell("allow", "grpc");
    for (const s of SECONDS) allow.observe(s);
    histogram.cell("missing_key", "http").observe(0.02);
    expect(await registry.metrics()).toBe(await promClientText());
  });

  it("counts a value equal to a bound in that bound's bucket, and one above all bounds only in +Inf", async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram(registry, "t", "h", ["outcome"], [0.5, 0.25]);
    const cell = histogram.cell("allow");
    cell.observe(0.25);
    cell.observe(9);
    const text = await registry.metrics();
    expect(text).toContain('t_bucket{le="0.25",outcome="allow"} 1');
    expect(text).toContain('t_bucket{le="0.5",outcome="allow"} 1');
    expect(text).toContain('t_bucket{le="+Inf",outcome="allow"} 2');
    expect(text).toContain('t_sum{outcome="allow"} 9.25');
    expect(text).toContain('t_count{outcome="allow"} 2');
  });

  it("hands out one cell per label set, which a registry reset zeroes and which keeps counting after", async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram(registry, "t", "h", ["outcome"], [1]);
    const allow = histogram.cell("allow");
    expect(histogram.cell("allow")).toBe(allow);
    expect(histogram.cell("deny")).not.toBe(allow);
    allow.observe(0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('t_count{outcome="allow"} 0');
    allow.observe(2);
    const text = await registry.metrics();
    expect(text).toContain('t_count{outcome="allow"} 1');
    expect(text).toContain('t_bucket{le="1",outcome="allow"} 0');
  });
});
