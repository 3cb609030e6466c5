import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseDuration } from "../duration.js";
import type { DatabaseTarget } from "../store/database-target.js";
import { ConfigError } from "./config-error.js";

/** `KEYWARD_DATABASE_URL` (PostgreSQL or `memory://`), else the embedded store in `KEYWARD_DATA_DIR`. */
export function storeSetting(env: NodeJS.ProcessEnv): DatabaseTarget {
  const url = env.KEYWARD_DATABASE_URL;
  if (url === "memory://") return { kind: "pglite", dataDir: null };
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError(
        "KEYWARD_DATABASE_URL must be a postgres:// URL (or memory:// for an in-memory store)",
      );
    }
    return { kind: "postgres", url };
  }
  // An empty value (an unset variable interpolated by compose or a shell) means the default, not the cwd.
  const dir = env.KEYWARD_DATA_DIR || "./.keyward";
  return { kind: "pglite", dataDir: dir === "memory://" ? null : resolve(dir) };
}

/** `KEYWARD_PEPPER` or `KEYWARD_PEPPER_FILE`: comma-separated peppers, current first; none is `[]`. */
export function pepperSetting(env: NodeJS.ProcessEnv): Buffer[] {
  let text = env.KEYWARD_PEPPER;
  let name = "KEYWARD_PEPPER";
  if (env.KEYWARD_PEPPER_FILE) {
    if (text) throw new ConfigError("set KEYWARD_PEPPER or KEYWARD_PEPPER_FILE, not both");
    name = "KEYWARD_PEPPER_FILE";
    try {
      text = readFileSync(env.KEYWARD_PEPPER_FILE, "utf8");
    } catch (err) {
      throw new ConfigError(
        `KEYWARD_PEPPER_FILE cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
  }
  if (text === undefined || text.trim() === "") return [];
  // Several peppers, comma-separated: the first hashes new keys, the rest still verify older ones.
  return text
    .split(",")
    .map((part, i) => decodePepper(part.trim(), i === 0 ? name : `${name} (entry ${i + 1})`));
}

/** Decodes hex or base64 of at least 32 bytes. */
export function decodePepper(text: string, name: string): Buffer {
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) bytes = Buffer.from(text, "hex");
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) bytes = Buffer.from(text, "base64");
  if (!bytes) throw new ConfigError(`${name} is neither hex nor base64`);
  if (bytes.length < 32) {
    throw new ConfigError(`${name} decodes to ${bytes.length} bytes; at least 32 random bytes are required`);
  }
  return bytes;
}

/** `KEYWARD_REDIS_URL`, or null for per-replica limits. */
export function redisSetting(env: NodeJS.ProcessEnv): string | null {
  const url = env.KEYWARD_REDIS_URL;
  if (!url) return null;
  if (!/^rediss?:\/\//.test(url))
    throw new ConfigError("KEYWARD_REDIS_URL must be a redis:// or rediss:// URL");
  return url;
}

/** `KEYWARD_LOOKUP_TIMEOUT`: milliseconds (`100ms`) or a duration (`2s`), at most a minute. */
export function lookupTimeoutSetting(env: NodeJS.ProcessEnv): number | null {
  const text = env.KEYWARD_LOOKUP_TIMEOUT?.trim();
  if (!text) return null;
  const ms = /^\d{1,5}ms$/.test(text) ? Number(text.slice(0, -2)) : parseDuration(text);
  if (!ms || ms > 60_000) {
    throw new ConfigError("KEYWARD_LOOKUP_TIMEOUT must be a duration like 100ms or 2s (at most 1m)");
  }
  return ms;
}
