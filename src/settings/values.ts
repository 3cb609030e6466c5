import { parseDuration, parseDurationList } from "../duration.js";
import { ConfigError } from "./config-error.js";

/** A whole number from `min` to `max`; `fallback` when unset or empty. */
export function intSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A duration like `30s`; `zero` also allows `0` (a feature turned off). */
export function durationSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  zero = false,
): number {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  if (zero && /^0+(s|m|h)?$/.test(text)) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ConfigError(`${name} must be a duration like 30s, 5m or 1h${zero ? ", or 0" : ""}`);
  }
  return ms;
}

/** Comma-separated durations like `5s,5m,2h`; `fallback` (the same syntax) when unset or empty. */
export function durationList(env: NodeJS.ProcessEnv, name: string, fallback: string): number[] {
  const list = parseDurationList(env[name]?.trim() || fallback);
  if (!list) throw new ConfigError(`${name} must be durations like 5s,5m,2h (comma-separated)`);
  return list;
}

/** `true` or `false`; unset or empty is false. */
export function booleanSetting(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim() ?? "";
  if (text === "" || text === "false") return false;
  if (text === "true") return true;
  throw new ConfigError(`${name} must be true or false`);
}

/** `on` or `off`, with a default. */
export function onOffSetting(env: NodeJS.ProcessEnv, name: string, fallback: "on" | "off"): boolean {
  const text = env[name] ?? fallback;
  if (text !== "on" && text !== "off") throw new ConfigError(`${name} must be "on" or "off"`);
  return text === "on";
}
