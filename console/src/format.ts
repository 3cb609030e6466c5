/** Splits a space-separated list (scopes). */
export function spaceList(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** Splits a comma-separated list (IP allowlist, tags). */
export function commaList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Reads `key=value` lines into metadata; a line without `=` is an error naming it. */
export function parseMetadata(text: string): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { error: `"${line}" is not key=value` };
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Metadata as `key=value` lines. */
export function metadataText(m: Record<string, string>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

/** The "Expires" choices of the create dialog, in days (null: never). */
export const EXPIRY_PRESETS: { label: string; days: number | null }[] = [
  { label: "Never", days: null },
  { label: "1 day", days: 1 },
  { label: "7 days", days: 7 },
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
];

/** The rotate dialog's grace periods, in seconds. */
export const GRACE_PERIODS: { label: string; seconds: number }[] = [
  { label: "Revoke immediately", seconds: 0 },
  { label: "15 minutes", seconds: 900 },
  { label: "1 hour", seconds: 3600 },
  { label: "6 hours", seconds: 21_600 },
  { label: "24 hours", seconds: 86_400 },
  { label: "7 days", seconds: 604_800 },
];

/** A time for a table: "never", "in 3 days", "5 minutes ago" or a date. */
export function relativeTime(date: Date | undefined, now: number, never = "never"): string {
  if (!date) return never;
  const diff = date.getTime() - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000 * 365, "year"],
    [86_400_000 * 30, "month"],
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  for (const [ms, name] of units) {
    if (abs >= ms) {
      const n = Math.floor(abs / ms);
      const text = `${n} ${name}${n === 1 ? "" : "s"}`;
      return diff > 0 ? `in ${text}` : `${text} ago`;
    }
  }
  return diff > 0 ? "in under a minute" : "just now";
}

/** One CSV field, quoted when it must be; a leading formula character is defused for spreadsheets. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Rows as CSV text with a header line, CRLF line ends (RFC 4180). */
export function toCsv(header: string[], rows: string[][]): string {
  return `${[header, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n")}\r\n`;
}

/** A share as a percentage with one decimal, or "–" when there is nothing to share. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? "–" : `${((part / whole) * 100).toFixed(1)}%`;
}
