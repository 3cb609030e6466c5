import type { RatioSpread } from "./ratios.js";

/** What a scenario prints: its parameters, one table, and notes (ratios, caveats, problems). */
export interface Report {
  title: string;
  params: [string, string][];
  columns: string[];
  rows: string[][];
  notes: string[];
  /** Set when a figure cannot be trusted (e.g. Keyward answered something other than allow under load). */
  problems: string[];
}

/** The one printer every scenario's report goes through. */
export function formatReport(report: Report, seconds?: number): string {
  const lines = [`== ${report.title}${seconds === undefined ? "" : ` (${seconds.toFixed(1)} s)`} ==`];
  if (report.params.length > 0) lines.push(report.params.map(([k, v]) => `${k}=${v}`).join("  "));
  lines.push(...table(report.columns, report.rows));
  for (const note of report.notes) lines.push(`  ${note}`);
  for (const problem of report.problems) lines.push(`  !! ${problem}`);
  return lines.join("\n");
}

/** A plain-text table: text columns left-aligned, numeric ones right-aligned. */
export function table(columns: string[], rows: string[][]): string[] {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = columns.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,x%]*$/.test(r[i] ?? "")),
  );
  const line = (cells: string[]) =>
    `| ${cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join(" | ")} |`;
  return [line(columns), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
}

/** Milliseconds with enough digits to compare sub-millisecond latencies. */
export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** A rate, thousands separated. */
export function rate(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "-" : Math.round(value).toLocaleString("en-US");
}

/** `a / b` as "0.42x". */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !(b > 0) ? "-" : `${(a / b).toFixed(2)}x`;
}

/** A paired ratio as "0.74x (0.70x-0.79x over 4 rounds)". */
export function spread(r: RatioSpread): string {
  const x = (v: number) => `${v.toFixed(2)}x`;
  return r.rounds === 1 ? x(r.median) : `${x(r.median)} (${x(r.low)}-${x(r.high)} over ${r.rounds} rounds)`;
}

/** The columns of a table of measurements, one row per target (see `measurementRow`). */
export const MEASUREMENT_COLUMNS = [
  "target",
  "req/s",
  "cpu µs/req",
  "mean ms",
  "p50 ms",
  "p90 ms",
  "p99 ms",
  "p99.9 ms",
  "max ms",
];

/** One target's row under MEASUREMENT_COLUMNS. */
export function measurementRow(m: {
  target: string;
  reqPerSec: number;
  cpuUsPerRequest: number;
  latency: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number } | null;
}): string[] {
  return [
    m.target,
    rate(m.reqPerSec),
    m.cpuUsPerRequest.toFixed(1),
    ms(m.latency?.mean),
    ms(m.latency?.p50),
    ms(m.latency?.p90),
    ms(m.latency?.p99),
    ms(m.latency?.p999),
    ms(m.latency?.max),
  ];
}
