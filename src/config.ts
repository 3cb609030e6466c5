import { readFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { resolve } from "node:path";
import { parseDuration } from "./duration.js";
import { PREFIX_PATTERN } from "./keys/format.js";
import type { RateLimitSpec } from "./keys/key-record.js";
import type { DatabaseTarget } from "./store/database.js";
import { closestName } from "./text/closest-name.js";
import { DEFAULT_RETRIES, parseDurationList } from "./webhooks/retry-schedule.js";

/** A listener address. */
export interface ListenAddress {
  host: string;
  port: number;
}

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

/** What leak reports do, and who may send them (see docs/leaked-keys.md). */
export interface LeakConfig {
  /** `revoke` (default): a reported key is revoked; `notify`: only flagged, and stays valid (KEYWARD_LEAK_POLICY). */
  policy: "revoke" | "notify";
  /** GitHub's secret-scanning public keys, JSON as GitHub serves them (KEYWARD_GITHUB_SCANNING_KEYS_FILE); null: POST /leaks/github is off. */
  githubKeysFile: string | null;
  /** The shared secret GitLab sends in `authorization` (KEYWARD_GITLAB_REVOCATION_TOKEN); null: the GitLab API is off. */
  gitlabToken: string | null;
  /** POST /leaks/revoke calls one source address may make (KEYWARD_LEAK_REVOKE_LIMIT, default 10/1m). */
  selfRevokeLimit: RateLimitSpec;
}

/** A bad setting: the message is one line naming it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Command-line values that override the environment. */
export interface ConfigFlags {
  authzListen?: string | undefined;
  adminListen?: string | undefined;
  dev?: boolean | undefined;
}

const DAY_MS = 86_400_000;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Settings read only in some configurations, and the test and bench harness's own. */
const CONDITIONAL_SETTINGS = [
  "KEYWARD_DATA_DIR",
  "KEYWARD_PEPPER_FILE",
  "KEYWARD_TEST_DATABASE",
  "KEYWARD_TEST_DATABASE_URL",
  "KEYWARD_BENCH_DATABASE_URL",
];

/** Reads and validates the configuration from `env` and command-line flags. */
export function loadConfig(given: NodeJS.ProcessEnv, flags: ConfigFlags = {}): Config {
  // Every name this function looks up is a setting, so the list of known ones never falls behind the code.
  const read = new Set<string>(CONDITIONAL_SETTINGS);
  const env = new Proxy(given, {
    get: (target, name) => {
      if (typeof name === "string") read.add(name);
      return Reflect.get(target, name);
    },
  });
  const store = storeConfig(env);
  const peppers = pepperConfig(env);
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
    defaultRateLimit: rateLimitConfig(env),
    unknownKeyLimit: unknownKeyLimitConfig(env),
    redisUrl: redisConfig(env),
    cacheSize: intSetting(env, "KEYWARD_CACHE_SIZE", 100_000, 0, 10_000_000),
    cacheTtlMs: durationSetting(env, "KEYWARD_CACHE_TTL", 30_000),
    staleIfErrorMs: durationSetting(env, "KEYWARD_STALE_IF_ERROR", 30_000, true),
    drainMs: durationSetting(env, "KEYWARD_DRAIN", 5_000, true),
    lookupTimeoutMs: lookupTimeoutConfig(env),
    webhooks: {
      retriesMs: durationList(env, "KEYWARD_WEBHOOK_RETRIES", DEFAULT_RETRIES),
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
    leaks: leakConfig(env),
    console: consoleSetting(env),
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
  config.unknownSettings = unknownSettings(given, [...read]);
  return config;
}

/** A warning for each `KEYWARD_*` name in `env` that is not a setting, naming the closest one that is. */
export function unknownSettings(env: NodeJS.ProcessEnv, known: readonly string[]): string[] {
  const settings = known.filter((name) => name.startsWith("KEYWARD_"));
  return Object.keys(env)
    .filter((name) => name.startsWith("KEYWARD_") && !settings.includes(name))
    .sort()
    .map((name) => {
      const hint = closestName(name, settings);
      return `${name} is not a Keyward setting and is ignored${hint ? ` (did you mean ${hint}?)` : ""}`;
    });
}

function storeConfig(env: NodeJS.ProcessEnv): DatabaseTarget {
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

function pepperConfig(env: NodeJS.ProcessEnv): Buffer[] {
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

/** Parses `host:port` (IPv6 as `[::1]:port`); port 0 picks a free one. */
export function parseListen(text: string, name: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ConfigError(`${name} must be host:port, got "${text}"`);
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Whether `host` only accepts connections from this machine. A hostname like `127.example.com` is not. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIPv4(host) && host.startsWith("127."));
}

/** `KEYWARD_RATE_LIMIT=<requests>/<window>` (e.g. `100/1s`, `6000/1m`) with `KEYWARD_RATE_LIMIT_BURST`. */
function rateLimitConfig(env: NodeJS.ProcessEnv): RateLimitSpec | null {
  const text = env.KEYWARD_RATE_LIMIT;
  const burst = intSetting(env, "KEYWARD_RATE_LIMIT_BURST", 0, 0, 1_000_000_000);
  if (!text) return null;
  return { ...rate("KEYWARD_RATE_LIMIT", text), burst };
}

/**
 * `KEYWARD_UNKNOWN_KEY_LIMIT`: how many lookups of keys that turn out not to exist one source address may
 * cause, as `<requests>/<window>` (the same again is allowed as a burst), or `off`. Default `100/1s`.
 */
function unknownKeyLimitConfig(env: NodeJS.ProcessEnv): RateLimitSpec | null {
  const text = env.KEYWARD_UNKNOWN_KEY_LIMIT?.trim() || "100/1s";
  if (text === "off") return null;
  const limit = rate("KEYWARD_UNKNOWN_KEY_LIMIT", text);
  return { ...limit, burst: limit.requests };
}

function rate(name: string, text: string): { requests: number; windowMs: number } {
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

function redisConfig(env: NodeJS.ProcessEnv): string | null {
  const url = env.KEYWARD_REDIS_URL;
  if (!url) return null;
  if (!/^rediss?:\/\//.test(url))
    throw new ConfigError("KEYWARD_REDIS_URL must be a redis:// or rediss:// URL");
  return url;
}

function intSetting(
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

/** `KEYWARD_LOOKUP_TIMEOUT`: milliseconds (`100ms`) or a duration (`2s`), at most a minute. */
function lookupTimeoutConfig(env: NodeJS.ProcessEnv): number | null {
  const text = env.KEYWARD_LOOKUP_TIMEOUT?.trim();
  if (!text) return null;
  const ms = /^\d{1,5}ms$/.test(text) ? Number(text.slice(0, -2)) : parseDuration(text);
  if (!ms || ms > 60_000) {
    throw new ConfigError("KEYWARD_LOOKUP_TIMEOUT must be a duration like 100ms or 2s (at most 1m)");
  }
  return ms;
}

/** A duration like `30s`; `zero` also allows `0` (a feature turned off). */
function durationSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, zero = false): number {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  if (zero && /^0+(s|m|h)?$/.test(text)) return 0;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ConfigError(`${name} must be a duration like 30s, 5m or 1h${zero ? ", or 0" : ""}`);
  }
  return ms;
}

function durationList(env: NodeJS.ProcessEnv, name: string, fallback: string): number[] {
  const list = parseDurationList(env[name]?.trim() || fallback);
  if (!list) throw new ConfigError(`${name} must be durations like 5s,5m,2h (comma-separated)`);
  return list;
}

function booleanSetting(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim() ?? "";
  if (text === "" || text === "false") return false;
  if (text === "true") return true;
  throw new ConfigError(`${name} must be true or false`);
}

function leakConfig(env: NodeJS.ProcessEnv): LeakConfig {
  const policy = env.KEYWARD_LEAK_POLICY?.trim() || "revoke";
  if (policy !== "revoke" && policy !== "notify") {
    throw new ConfigError('KEYWARD_LEAK_POLICY must be "revoke" or "notify"');
  }
  const keysFile = env.KEYWARD_GITHUB_SCANNING_KEYS_FILE?.trim();
  const gitlabToken = env.KEYWARD_GITLAB_REVOCATION_TOKEN;
  // Whoever holds it may report keys as leaked in GitLab's name: it must not be guessable.
  if (gitlabToken !== undefined && gitlabToken !== "" && !/^[\x21-\x7e]{24,512}$/.test(gitlabToken)) {
    throw new ConfigError(
      "KEYWARD_GITLAB_REVOCATION_TOKEN must be 24 to 512 printable characters without spaces (e.g. `openssl rand -hex 32`)",
    );
  }
  const limit = rate("KEYWARD_LEAK_REVOKE_LIMIT", env.KEYWARD_LEAK_REVOKE_LIMIT?.trim() || "10/1m");
  return {
    policy,
    githubKeysFile: keysFile ? resolve(keysFile) : null,
    gitlabToken: gitlabToken || null,
    selfRevokeLimit: { ...limit, burst: 0 },
  };
}

function consoleSetting(env: NodeJS.ProcessEnv): boolean {
  const text = env.KEYWARD_CONSOLE ?? "on";
  if (text !== "on" && text !== "off") throw new ConfigError('KEYWARD_CONSOLE must be "on" or "off"');
  return text === "on";
}
