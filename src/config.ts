import type { Cidr } from "./keys/cidr.js";
import { PREFIX_PATTERN } from "./keys/format.js";
import type { RateLimitSpec } from "./keys/key-record.js";
import { ConfigError } from "./settings/config-error.js";
import { type LeakConfig, leakSetting } from "./settings/leak-settings.js";
import { isLoopback, type ListenAddress, parseListen } from "./settings/listen.js";
import { trustedProxiesSetting } from "./settings/proxy-settings.js";
import { defaultRateLimitSetting, unknownKeyLimitSetting } from "./settings/rate-settings.js";
import {
  lookupTimeoutSetting,
  pepperSetting,
  redisSetting,
  storeSetting,
} from "./settings/store-settings.js";
import { trackedEnv } from "./settings/unknown-settings.js";
import {
  booleanSetting,
  durationList,
  durationSetting,
  intSetting,
  onOffSetting,
} from "./settings/values.js";
import type { DatabaseTarget } from "./store/database-target.js";

export { ConfigError } from "./settings/config-error.js";
export type { LeakConfig } from "./settings/leak-settings.js";
export { isLoopback, type ListenAddress, parseListen } from "./settings/listen.js";
export { decodePepper } from "./settings/store-settings.js";

/** How a listener bounds its connections. */
export interface ConnectionLimits {
  /** Most connections open at once; more are closed as they arrive. */
  maxConnections: number;
  /** How long a new connection may stay silent before its first bytes arrive. */
  firstBytesMs: number;
  /** How long a connection may see no traffic at all before it is closed. */
  idleMs: number;
}

/** Every setting, validated. Built once at start; nothing else reads the environment. */
export interface Config {
  authzListen: ListenAddress;
  adminListen: ListenAddress;
  store: DatabaseTarget;
  /** Pepper secrets, current first; empty means "generate and keep one" (embedded PGlite only). */
  peppers: Buffer[];
  keyPrefix: string;
  companyHeader: string;
  logLevel: string;
  /** Admin API without an admin key, on loopback only. */
  dev: boolean;
  /** The limit for keys that set none; null for no default limit. */
  defaultRateLimit: RateLimitSpec | null;
  /** Peers whose X-Forwarded-For / X-Real-IP name the client on forward auth (`KEYWARD_TRUSTED_PROXIES`). */
  trustedProxies: Cidr[];
  /** Lookups of unknown keys one source address may cause; null for no bound. */
  unknownKeyLimit: RateLimitSpec | null;
  /** Redis for global rate limits; null for per-replica limits. */
  redisUrl: string | null;
  /** Most verified keys cached per replica. */
  cacheSize: number;
  /** How long a cached key is trusted without a change notification. */
  cacheTtlMs: number;
  /** How long into a database failure keys verified before it are answered from the cache; 0: strict. */
  staleIfErrorMs: number;
  /** After SIGTERM: how long health says NOT_SERVING while Checks are still answered, before closing. */
  drainMs: number;
  /** Longest wait for a Check's key lookup; null for the store's own bound (100 ms on PostgreSQL). */
  lookupTimeoutMs: number | null;
  /** How both listeners bound their connections. */
  connections: ConnectionLimits;
  /** How long auth events and usage are kept; null keeps them for ever. */
  retentionMs: number | null;
  /** Whether the admin listener serves the web console (`KEYWARD_CONSOLE=off` turns it off). */
  console: boolean;
  /** How long a console session lives after sign-in (`KEYWARD_CONSOLE_SESSION_TTL`). */
  consoleSessionTtlMs: number;
  webhooks: WebhookConfig;
  notify: NotifyConfig;
  leaks: LeakConfig;
  /** One warning per `KEYWARD_*` variable set but not a setting (a misspelling is otherwise silently ignored). */
  unknownSettings: string[];
}

/** Webhook delivery settings. */
export interface WebhookConfig {
  /** The waits before each retry (KEYWARD_WEBHOOK_RETRIES); after the last, the delivery fails. */
  retriesMs: number[];
  /** Also allow http:// and private or loopback targets (KEYWARD_WEBHOOK_ALLOW_INSECURE). */
  allowInsecure: boolean;
  /** One attempt's bound (KEYWARD_WEBHOOK_TIMEOUT, default 15s). */
  timeoutMs: number;
  /** Attempts in flight per replica (KEYWARD_WEBHOOK_CONCURRENCY, default 16). */
  concurrency: number;
}

/** Expiry warnings and alerts. */
export interface NotifyConfig {
  /** How often scheduled events and alerts are judged (KEYWARD_NOTIFY_INTERVAL, default 60s). */
  intervalMs: number;
  /** Warn this long before a key expires (KEYWARD_EXPIRY_WARNINGS, default 7d,1d), longest first. */
  expiryWarningsMs: number[];
  /** Denials of one key in 5 minutes that raise alert.denials (KEYWARD_ALERT_DENIALS, default 100). */
  alertDenials: number;
  /** alert.usage_spike: this many times the key's usual 5-minute rate (KEYWARD_ALERT_SPIKE_FACTOR, default 10). */
  spikeFactor: number;
  /** …and at least this many requests in 5 minutes (KEYWARD_ALERT_SPIKE_MIN, default 1000). */
  spikeMinimum: number;
}

/** Command-line values that override the environment. */
export interface ConfigFlags {
  authzListen?: string | undefined;
  adminListen?: string | undefined;
  dev?: boolean | undefined;
}

const DAY_MS = 86_400_000;
/** The default waits before each webhook retry (KEYWARD_WEBHOOK_RETRIES). */
export const DEFAULT_WEBHOOK_RETRIES = "5s,5m,30m,2h,5h,10h,14h,20h,24h";
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Reads and validates the configuration from `env` and command-line flags. */
export function loadConfig(given: NodeJS.ProcessEnv, flags: ConfigFlags = {}): Config {
  const { env, unknown } = trackedEnv(given);
  const store = storeSetting(env);
  const peppers = pepperSetting(env);
  if (peppers.length === 0 && store.kind === "postgres") {
    throw new ConfigError(
      "KEYWARD_PEPPER or KEYWARD_PEPPER_FILE is required with KEYWARD_DATABASE_URL (hex or base64 of at least 32 random bytes, e.g. `openssl rand -hex 32`)",
    );
  }
  const keyPrefix = env.KEYWARD_KEY_PREFIX ?? "sk";
  if (!PREFIX_PATTERN.test(keyPrefix)) {
    throw new ConfigError("KEYWARD_KEY_PREFIX must match [a-z][a-z0-9]{0,15}");
  }
  const companyHeader = (env.KEYWARD_COMPANY_HEADER ?? "x-keyward-company").toLowerCase();
  if (!/^[a-z0-9-]{1,64}$/.test(companyHeader)) {
    throw new ConfigError("KEYWARD_COMPANY_HEADER must be a header name of letters, digits and dashes");
  }
  const logLevel = env.KEYWARD_LOG_LEVEL ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`KEYWARD_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const config: Config = {
    authzListen: parseListen(
      flags.authzListen ?? env.KEYWARD_AUTHZ_LISTEN ?? "127.0.0.1:9191",
      flags.authzListen !== undefined ? "--authz-listen" : "KEYWARD_AUTHZ_LISTEN",
    ),
    adminListen: parseListen(
      flags.adminListen ?? env.KEYWARD_ADMIN_LISTEN ?? "127.0.0.1:8181",
      flags.adminListen !== undefined ? "--admin-listen" : "KEYWARD_ADMIN_LISTEN",
    ),
    store,
    peppers,
    keyPrefix,
    companyHeader,
    logLevel,
    dev: flags.dev ?? false,
    defaultRateLimit: defaultRateLimitSetting(env),
    trustedProxies: trustedProxiesSetting(env),
    unknownKeyLimit: unknownKeyLimitSetting(env),
    redisUrl: redisSetting(env),
    cacheSize: intSetting(env, "KEYWARD_CACHE_SIZE", 100_000, 0, 10_000_000),
    cacheTtlMs: durationSetting(env, "KEYWARD_CACHE_TTL", 30_000),
    staleIfErrorMs: durationSetting(env, "KEYWARD_STALE_IF_ERROR", 30_000, true),
    drainMs: durationSetting(env, "KEYWARD_DRAIN", 5_000, true),
    lookupTimeoutMs: lookupTimeoutSetting(env),
    webhooks: {
      retriesMs: durationList(env, "KEYWARD_WEBHOOK_RETRIES", DEFAULT_WEBHOOK_RETRIES),
      allowInsecure: booleanSetting(env, "KEYWARD_WEBHOOK_ALLOW_INSECURE"),
      timeoutMs: durationList(env, "KEYWARD_WEBHOOK_TIMEOUT", "15s")[0] as number,
      concurrency: intSetting(env, "KEYWARD_WEBHOOK_CONCURRENCY", 16, 1, 1000),
    },
    notify: {
      intervalMs: durationList(env, "KEYWARD_NOTIFY_INTERVAL", "60s")[0] as number,
      expiryWarningsMs: durationList(env, "KEYWARD_EXPIRY_WARNINGS", "7d,1d").sort((a, b) => b - a),
      alertDenials: intSetting(env, "KEYWARD_ALERT_DENIALS", 100, 1, 1_000_000_000),
      spikeFactor: intSetting(env, "KEYWARD_ALERT_SPIKE_FACTOR", 10, 2, 1_000_000),
      spikeMinimum: intSetting(env, "KEYWARD_ALERT_SPIKE_MIN", 1000, 1, 1_000_000_000),
    },
    leaks: leakSetting(env),
    console: onOffSetting(env, "KEYWARD_CONSOLE", "on"),
    consoleSessionTtlMs: durationSetting(env, "KEYWARD_CONSOLE_SESSION_TTL", 12 * 3_600_000),
    connections: {
      maxConnections: intSetting(env, "KEYWARD_MAX_CONNECTIONS", 10_000, 1, 1_000_000),
      firstBytesMs: durationSetting(env, "KEYWARD_FIRST_BYTES_TIMEOUT", 10_000),
      idleMs: durationSetting(env, "KEYWARD_IDLE_TIMEOUT", 300_000),
    },
    retentionMs:
      env.KEYWARD_RETENTION?.trim() === "off" ? null : durationSetting(env, "KEYWARD_RETENTION", 90 * DAY_MS),
    unknownSettings: [],
  };
  if (config.dev && !(isLoopback(config.adminListen.host) && isLoopback(config.authzListen.host))) {
    throw new ConfigError(
      "--dev runs the admin API without authentication and needs loopback listeners only",
    );
  }
  config.unknownSettings = unknown();
  return config;
}
