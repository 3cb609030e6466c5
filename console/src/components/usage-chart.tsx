import type { UsageBucket } from "../../../src/gen/keyward/admin/v1/console_pb.js";

const WIDTH = 600;
const HEIGHT = 160;

/** Bar geometry for a series: one stacked bar per bucket, allowed below denied, scaled to the busiest. */
export function chartBars(
  buckets: readonly { allowed: number; denied: number }[],
  width = WIDTH,
  height = HEIGHT,
) {
  const max = Math.max(1, ...buckets.map((b) => b.allowed + b.denied));
  const step = width / Math.max(1, buckets.length);
  return buckets.map((b, i) => {
    const allowedH = (b.allowed / max) * height;
    const deniedH = (b.denied / max) * height;
    return {
      x: i * step,
      width: Math.max(1, step - 1),
      allowed: { y: height - allowedH, height: allowedH },
      denied: { y: height - allowedH - deniedH, height: deniedH },
    };
  });
}

/**
 * Requests over time by outcome. Drawn with SVG attributes only (the CSP forbids inline styles), and
 * described in words for screen readers.
 */
export function UsageChart({
  buckets,
  granularity,
}: {
  buckets: readonly UsageBucket[];
  granularity: string;
}) {
  const points = buckets.map((b) => ({ allowed: Number(b.allowedCount), denied: Number(b.deniedCount) }));
  const allowed = points.reduce((n, p) => n + p.allowed, 0);
  const denied = points.reduce((n, p) => n + p.denied, 0);
  const label = `Requests per ${granularity || "hour"}: ${allowed} allowed and ${denied} denied in ${points.length} ${granularity || "hour"}s`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} preserveAspectRatio="none">
        {chartBars(points).map((bar, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: buckets are positional
          <g key={i}>
            <rect
              className="bar-allowed"
              x={bar.x}
              y={bar.allowed.y}
              width={bar.width}
              height={bar.allowed.height}
            />
            <rect
              className="bar-denied"
              x={bar.x}
              y={bar.denied.y}
              width={bar.width}
              height={bar.denied.height}
            />
          </g>
        ))}
      </svg>
      <figcaption>
        <span className="legend-allowed">Allowed</span> <span className="legend-denied">Denied</span>
      </figcaption>
    </figure>
  );
}
