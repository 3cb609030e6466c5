/** Latency figures of one run, in milliseconds. */
export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Exact nearest-rank percentiles over every sample (microseconds in, milliseconds out). */
export function latencyStats(samplesUs: readonly number[]): LatencyStats | null {
  if (samplesUs.length === 0) return null;
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (p: number) => (sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number) / 1000;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sum / sorted.length / 1000,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: (sorted[sorted.length - 1] as number) / 1000,
  };
}
