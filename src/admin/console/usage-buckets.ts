import type { Violations } from "../../keys/validation.js";
import type { UsagePoint } from "../../store/usage-series-repository.js";

/** The widths a usage series is cut into. */
export const GRANULARITIES = { minute: 60_000, hour: 3_600_000 } as const;
export type Granularity = keyof typeof GRANULARITIES;

/** Most buckets one answer holds: a day by the minute, or 90 days by the hour, with room for ragged ends. */
export const MAX_BUCKETS = 2200;

/** The granularity asked for, or the default for a window: by the minute up to 6 hours, by the hour beyond. */
export function chooseGranularity(asked: string, windowMs: number): Granularity | "invalid" {
  if (asked === "") return windowMs <= 6 * 3_600_000 ? "minute" : "hour";
  return asked === "minute" || asked === "hour" ? asked : "invalid";
}

/** How many buckets [start, end) spans at `widthMs`. */
export function bucketCount(start: number, end: number, widthMs: number): number {
  return Math.max(0, Math.ceil((end - floorTo(start, widthMs)) / widthMs));
}

/** Every bucket of [start, end), oldest first, with the empty ones filled in as zeros. */
export function fillBuckets(
  points: readonly UsagePoint[],
  start: number,
  end: number,
  widthMs: number,
): UsagePoint[] {
  const byStart = new Map(points.map((p) => [p.start.getTime(), p]));
  const out: UsagePoint[] = [];
  for (let t = floorTo(start, widthMs); t < end; t += widthMs) {
    out.push(byStart.get(t) ?? { start: new Date(t), allowed: 0, denied: 0 });
  }
  return out;
}

function floorTo(t: number, widthMs: number): number {
  return t - (t % widthMs);
}

/** The series a GetKeyUsage window asks for, or undefined after reporting why it cannot be had. */
export function seriesShape(
  v: Violations,
  asked: string,
  start: Date,
  end: Date,
): { granularity: Granularity; widthMs: number } | undefined {
  const granularity = chooseGranularity(asked, end.getTime() - start.getTime());
  if (granularity === "invalid") {
    v.add("granularity", 'must be "minute" or "hour"');
    return undefined;
  }
  const widthMs = GRANULARITIES[granularity];
  if (bucketCount(start.getTime(), end.getTime(), widthMs) > MAX_BUCKETS) {
    v.add("granularity", `the window holds more than ${MAX_BUCKETS} buckets of a ${granularity}`);
    return undefined;
  }
  return { granularity, widthMs };
}
