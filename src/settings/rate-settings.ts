import { parseDuration } from "../duration.js";
import type { RateLimitSpec } from "../keys/key-record.js";
import { ConfigError } from "./config-error.js";
import { intSetting } from "./values.js";

/** `KEYWARD_RATE_LIMIT=<requests>/<window>` (e.g. `100/1s`, `6000/1m`) with `KEYWARD_RATE_LIMIT_BURST`. */
export function defaultRateLimitSetting(env: NodeJS.ProcessEnv): RateLimitSpec | null {
  const text = env.KEYWARD_RATE_LIMIT;
  const burst = intSetting(env, "KEYWARD_RATE_LIMIT_BURST", 0, 0, 1_000_000_000);
  if (!text) return null;
  return { ...rate("KEYWARD_RATE_LIMIT", text), burst };
}

/**
 * `KEYWARD_UNKNOWN_KEY_LIMIT`: how many lookups of keys that turn out not to exist one source address may
 * cause, as `<requests>/<window>` (the same again is allowed as a burst), or `off`. Default `100/1s`.
 */
export function unknownKeyLimitSetting(env: NodeJS.ProcessEnv): RateLimitSpec | null {
  const text = env.KEYWARD_UNKNOWN_KEY_LIMIT?.trim() || "100/1s";
  if (text === "off") return null;
  const limit = rate("KEYWARD_UNKNOWN_KEY_LIMIT", text);
  return { ...limit, burst: limit.requests };
}

/** `<requests>/<window>` (e.g. `100/1s`), the window at most a day; a ConfigError naming `name` otherwise. */
export function rate(name: string, text: string): { requests: number; windowMs: number } {
  const match = /^(\d{1,10})\/(.+)$/.exec(text.trim());
  const requests = Number(match?.[1]);
  const windowMs = match ? parseDuration(match[2] as string) : undefined;
  if (!match || !requests || requests > 1_000_000_000 || windowMs === undefined || windowMs > 86_400_000) {
    throw new ConfigError(
      `${name} must be "<requests>/<window>", e.g. 100/1s or 6000/1m (window at most 1 day)${name === "KEYWARD_UNKNOWN_KEY_LIMIT" ? ', or "off"' : ""}`,
    );
  }
  return { requests, windowMs };
}
