import type { EnvoyResponse } from "./envoy-client.js";

/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, or throws the last failure at the
 * deadline. For propagation ("B sees the change within 1 s"), never for speed.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 1000, intervalMs = 20, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : "";
      throw new Error(`${what} did not hold within ${timeoutMs} ms${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** One sample's value from an admin listener's /metrics, or undefined when the series is absent. */
export async function metricValue(adminUrl: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** The headers an allow asks Envoy to add to the client's response (the rate-limit budget). */
export function clientHeaders(res: EnvoyResponse): Record<string, string> {
  const ok = res.ok_response as
    | { response_headers_to_add?: { header: { key: string; value: string } }[] }
    | undefined;
  return Object.fromEntries((ok?.response_headers_to_add ?? []).map((h) => [h.header.key, h.header.value]));
}
