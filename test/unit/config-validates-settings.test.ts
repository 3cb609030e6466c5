import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigFlags,
  decodePepper,
  isLoopback,
  loadConfig,
  parseListen,
} from "../../src/config.js";

const HEX_PEPPER = "a1".repeat(32);
const BASE64_PEPPER = Buffer.alloc(32, 0x5a).toString("base64");
const dir = mkdtempSync(join(tmpdir(), "keyward-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ConfigError `loadConfig` throws; fails the test when it does not throw one. */
function configError(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}): string {
  try {
    loadConfig(env, flags);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe("ConfigError");
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("uses loopback listeners, embedded PGlite in ./.keyward and the sk prefix", () => {
    expect(loadConfig({})).toMatchObject({
      authzListen: { host: "127.0.0.1", port: 9191 },
      adminListen: { host: "127.0.0.1", port: 8181 },
      store: { kind: "pglite", dataDir: resolve("./.keyward") },
      peppers: [],
      keyPrefix: "sk",
      companyHeader: "x-keyward-company",
      logLevel: "info",
      dev: false,
    });
  });
});

describe("environment settings", () => {
  it("reads every listener, store and naming setting", () => {
    const config = loadConfig({
      KEYWARD_AUTHZ_LISTEN: "0.0.0.0:10000",
      KEYWARD_ADMIN_LISTEN: "[::]:0",
      KEYWARD_DATA_DIR: join(dir, "data"),
      KEYWARD_KEY_PREFIX: "acme9",
      KEYWARD_COMPANY_HEADER: "X-Tenant-Id",
      KEYWARD_LOG_LEVEL: "debug",
      KEYWARD_PEPPER: HEX_PEPPER,
    });
    expect(config).toMatchObject({
      authzListen: { host: "0.0.0.0", port: 10000 },
      adminListen: { host: "::", port: 0 },
      store: { kind: "pglite", dataDir: join(dir, "data") },
      keyPrefix: "acme9",
      companyHeader: "x-tenant-id",
      logLevel: "debug",
    });
    expect(config.peppers.map((p) => p.toString("hex"))).toEqual([HEX_PEPPER]);
  });

  it("treats an empty data dir as unset rather than the working directory", () => {
    expect(loadConfig({ KEYWARD_DATA_DIR: "" }).store).toEqual({
      kind: "pglite",
      dataDir: resolve("./.keyward"),
    });
  });

  it("resolves a relative data dir to an absolute one", () => {
    expect(loadConfig({ KEYWARD_DATA_DIR: "rel/dir" }).store).toEqual({
      kind: "pglite",
      dataDir: resolve("rel/dir"),
    });
  });

  it.each([[{ KEYWARD_DATABASE_URL: "memory://" }], [{ KEYWARD_DATA_DIR: "memory://" }]])(
    "runs in memory with %j",
    (env) => {
      expect(loadConfig(env).store).toEqual({ kind: "pglite", dataDir: null });
    },
  );

  it.each(["postgres://u:p@db:5432/keyward", "postgresql://db/keyward"])("uses PostgreSQL at %s", (url) => {
    expect(loadConfig({ KEYWARD_DATABASE_URL: url, KEYWARD_PEPPER: HEX_PEPPER }).store).toEqual({
      kind: "postgres",
      url,
    });
  });

  it("refuses a database URL that is not postgres, without echoing it", () => {
    const message = configError({
      KEYWARD_DATABASE_URL: "mysql://root:hunter2@db/x",
      KEYWARD_PEPPER: HEX_PEPPER,
    });
    expect(message).toContain("KEYWARD_DATABASE_URL");
    expect(message).not.toContain("hunter2");
  });

  it("refuses PostgreSQL without a pepper, saying which settings", () => {
    const message = configError({ KEYWARD_DATABASE_URL: "postgres://db/keyward" });
    expect(message).toContain("KEYWARD_PEPPER");
    expect(message).toContain("KEYWARD_DATABASE_URL");
  });

  it.each(["a", "sk", "x9", "abcdefghijklmnop"])("accepts key prefix %j", (prefix) => {
    expect(loadConfig({ KEYWARD_KEY_PREFIX: prefix }).keyPrefix).toBe(prefix);
  });

  it.each(["", "Sk", "1sk", "s_k", "s-k", "abcdefghijklmnopq", "sk ", "ск"])(
    "refuses key prefix %j",
    (prefix) => {
      expect(configError({ KEYWARD_KEY_PREFIX: prefix })).toContain("KEYWARD_KEY_PREFIX");
    },
  );

  it.each(["", "x_tenant", "x tenant", "a".repeat(65), "x-tenant:"])("refuses company header %j", (name) => {
    expect(configError({ KEYWARD_COMPANY_HEADER: name })).toContain("KEYWARD_COMPANY_HEADER");
  });

  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"])("accepts log level %s", (level) => {
    expect(loadConfig({ KEYWARD_LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it.each(["verbose", "INFO", ""])("refuses log level %j", (level) => {
    expect(configError({ KEYWARD_LOG_LEVEL: level })).toContain("KEYWARD_LOG_LEVEL");
  });
});

describe("unknown-key limit", () => {
  it("bounds each source to 100 unknown keys a second, with as many again as a burst, by default", () => {
    expect(loadConfig({}).unknownKeyLimit).toEqual({ requests: 100, windowMs: 1000, burst: 100 });
  });

  it("reads a rate, and off", () => {
    expect(loadConfig({ KEYWARD_UNKNOWN_KEY_LIMIT: "30/1m" }).unknownKeyLimit).toEqual({
      requests: 30,
      windowMs: 60_000,
      burst: 30,
    });
    expect(loadConfig({ KEYWARD_UNKNOWN_KEY_LIMIT: "off" }).unknownKeyLimit).toBeNull();
  });

  it.each(["0/1s", "ten/1s", "10", "10/", "10/2d", "-1/1s", "10/1x"])("refuses %j", (text) => {
    const message = configError({ KEYWARD_UNKNOWN_KEY_LIMIT: text });
    expect(message).toContain("KEYWARD_UNKNOWN_KEY_LIMIT");
    expect(message).toContain('"off"');
  });
});

describe("listen addresses", () => {
  it.each([
    ["127.0.0.1:9191", "127.0.0.1", 9191],
    ["localhost:1", "localhost", 1],
    ["[::1]:65535", "::1", 65535],
    ["[2001:db8::1]:80", "2001:db8::1", 80],
    ["example.com:0", "example.com", 0],
  ])("parses %s", (text, host, port) => {
    expect(parseListen(text, "X")).toEqual({ host, port });
  });

  it.each([
    "",
    "localhost",
    ":8080",
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:123456",
    "127.0.0.1:-1",
    "127.0.0.1:80a",
    "::1:8080",
    "[::1]",
    "[::1]8080",
    "[localhost]:80",
    "a:b:80",
    "http://127.0.0.1:80",
  ])("refuses %j, naming the setting and the value", (text) => {
    expect(configError({ KEYWARD_AUTHZ_LISTEN: text })).toMatch(/^KEYWARD_AUTHZ_LISTEN must be host:port/);
    expect(configError({ KEYWARD_ADMIN_LISTEN: text })).toContain(
      `KEYWARD_ADMIN_LISTEN must be host:port, got "${text}"`,
    );
  });

  it("lets flags override the environment", () => {
    const env = { KEYWARD_AUTHZ_LISTEN: "127.0.0.1:1", KEYWARD_ADMIN_LISTEN: "127.0.0.1:2" };
    const config = loadConfig(env, { authzListen: "127.0.0.1:3", adminListen: "[::1]:4" });
    expect(config.authzListen).toEqual({ host: "127.0.0.1", port: 3 });
    expect(config.adminListen).toEqual({ host: "::1", port: 4 });
  });

  it("names the flag, not the environment variable, when a flag is bad", () => {
    const env = { KEYWARD_AUTHZ_LISTEN: "127.0.0.1:1", KEYWARD_ADMIN_LISTEN: "127.0.0.1:2" };
    expect(configError(env, { authzListen: "nope" })).toContain("--authz-listen");
    expect(configError(env, { adminListen: "nope" })).toContain("--admin-listen");
    // `--admin-listen=` reaches the config as an empty string, and is still the flag's fault.
    expect(configError(env, { adminListen: "" })).toContain("--admin-listen");
  });
});

describe("peppers", () => {
  it.each([
    ["hex", HEX_PEPPER, HEX_PEPPER],
    ["upper-case hex", HEX_PEPPER.toUpperCase(), HEX_PEPPER],
    ["base64", BASE64_PEPPER, "5a".repeat(32)],
    ["base64url", Buffer.alloc(33, 0xfb).toString("base64url"), "fb".repeat(33)],
    ["padded with spaces", `  ${HEX_PEPPER}\n`, HEX_PEPPER],
  ])("decodes %s", (_, text, hex) => {
    expect(loadConfig({ KEYWARD_PEPPER: text }).peppers.map((p) => p.toString("hex"))).toEqual([hex]);
  });

  it("reads several comma-separated peppers, current first", () => {
    const second = "b2".repeat(40);
    const peppers = loadConfig({ KEYWARD_PEPPER: `${HEX_PEPPER}, ${second}` }).peppers;
    expect(peppers.map((p) => p.toString("hex"))).toEqual([HEX_PEPPER, second]);
  });

  it("treats an empty or blank pepper as none", () => {
    expect(loadConfig({ KEYWARD_PEPPER: "" }).peppers).toEqual([]);
    expect(loadConfig({ KEYWARD_PEPPER: "  " }).peppers).toEqual([]);
  });

  it.each([
    ["31 hex bytes", "ab".repeat(31), "decodes to 31 bytes"],
    ["31 base64 bytes", Buffer.alloc(31, 1).toString("base64"), "decodes to 31 bytes"],
    ["punctuation", "not a pepper!", "neither hex nor base64"],
    ["too much padding", `${BASE64_PEPPER}==`, "neither hex nor base64"],
  ])("refuses %s, naming the setting without echoing the secret", (_, text, reason) => {
    const message = configError({ KEYWARD_PEPPER: text });
    expect(message).toMatch(/^KEYWARD_PEPPER /);
    expect(message).toContain(reason);
    expect(message).not.toContain(text);
  });

  it("names the entry that is bad among several", () => {
    expect(configError({ KEYWARD_PEPPER: `${HEX_PEPPER},abcd` })).toContain("KEYWARD_PEPPER (entry 2)");
    expect(configError({ KEYWARD_PEPPER: `${HEX_PEPPER},` })).toContain("KEYWARD_PEPPER (entry 2)");
  });

  it("reads a pepper file, trailing newline and all", () => {
    const file = join(dir, "pepper");
    writeFileSync(file, `${HEX_PEPPER}\n`, { mode: 0o600 });
    expect(loadConfig({ KEYWARD_PEPPER_FILE: file }).peppers.map((p) => p.toString("hex"))).toEqual([
      HEX_PEPPER,
    ]);
  });

  it("names the file setting when the file is bad or missing", () => {
    const file = join(dir, "short-pepper");
    writeFileSync(file, "abcd");
    expect(configError({ KEYWARD_PEPPER_FILE: file })).toMatch(/^KEYWARD_PEPPER_FILE decodes to 2 bytes/);
    expect(configError({ KEYWARD_PEPPER_FILE: join(dir, "absent") })).toBe(
      "KEYWARD_PEPPER_FILE cannot be read: ENOENT",
    );
  });

  it("refuses both a pepper and a pepper file", () => {
    const file = join(dir, "both");
    writeFileSync(file, HEX_PEPPER);
    const message = configError({ KEYWARD_PEPPER: HEX_PEPPER, KEYWARD_PEPPER_FILE: file });
    expect(message).toContain("KEYWARD_PEPPER");
    expect(message).toContain("KEYWARD_PEPPER_FILE");
  });

  it("decodePepper takes exactly 32 bytes as enough", () => {
    expect(decodePepper("00".repeat(32), "P")).toHaveLength(32);
    expect(() => decodePepper("00".repeat(31), "P")).toThrow(ConfigError);
  });
});

describe("--dev", () => {
  it.each([
    [{}],
    [{ KEYWARD_AUTHZ_LISTEN: "localhost:0", KEYWARD_ADMIN_LISTEN: "[::1]:0" }],
    [{ KEYWARD_AUTHZ_LISTEN: "127.0.0.2:0", KEYWARD_ADMIN_LISTEN: "127.255.255.254:0" }],
  ])("runs on loopback listeners %j", (env) => {
    expect(loadConfig(env, { dev: true }).dev).toBe(true);
  });

  it.each([
    [{ KEYWARD_ADMIN_LISTEN: "0.0.0.0:8181" }, {}],
    [{ KEYWARD_AUTHZ_LISTEN: "[::]:9191" }, {}],
    [{}, { adminListen: "10.0.0.1:8181" }],
    [{}, { authzListen: "example.com:9191" }],
    [{ KEYWARD_ADMIN_LISTEN: "127.attacker.example:8181" }, {}],
    [{ KEYWARD_ADMIN_LISTEN: "127.0.0.1.nip.example:8181" }, {}],
  ] as [NodeJS.ProcessEnv, ConfigFlags][])("refuses to run on %j %j", (env, flags) => {
    expect(configError(env, { ...flags, dev: true })).toContain("--dev");
  });

  it("isLoopback accepts only loopback addresses and localhost", () => {
    expect(["localhost", "::1", "127.0.0.1", "127.1.2.3"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(
      ["0.0.0.0", "::", "10.0.0.1", "127.example.com", "1127.0.0.1", "example.com"].map(isLoopback),
    ).toEqual([false, false, false, false, false, false]);
  });
});

describe("fault settings", () => {
  it("answers from the cache for 30 s of a database failure and drains for 5 s by default", () => {
    const config = loadConfig({});
    expect(config.staleIfErrorMs).toBe(30_000);
    expect(config.drainMs).toBe(5000);
  });

  it("reads durations, and 0 to turn stale-if-error or the drain off", () => {
    const config = loadConfig({ KEYWARD_STALE_IF_ERROR: "2m", KEYWARD_DRAIN: "10s" });
    expect([config.staleIfErrorMs, config.drainMs]).toEqual([120_000, 10_000]);
    const strict = loadConfig({ KEYWARD_STALE_IF_ERROR: "0", KEYWARD_DRAIN: "0s" });
    expect([strict.staleIfErrorMs, strict.drainMs]).toEqual([0, 0]);
  });

  it("bounds a key lookup by the store's own limit unless KEYWARD_LOOKUP_TIMEOUT says otherwise", () => {
    expect(loadConfig({}).lookupTimeoutMs).toBeNull();
    expect(loadConfig({ KEYWARD_LOOKUP_TIMEOUT: "150ms" }).lookupTimeoutMs).toBe(150);
    expect(loadConfig({ KEYWARD_LOOKUP_TIMEOUT: "2s" }).lookupTimeoutMs).toBe(2000);
    expect(configError({ KEYWARD_LOOKUP_TIMEOUT: "2m" })).toBe(
      "KEYWARD_LOOKUP_TIMEOUT must be a duration like 100ms or 2s (at most 1m)",
    );
    expect(configError({ KEYWARD_LOOKUP_TIMEOUT: "0ms" })).toContain("KEYWARD_LOOKUP_TIMEOUT");
  });

  it("names the setting when a duration is bad", () => {
    expect(configError({ KEYWARD_STALE_IF_ERROR: "30" })).toBe(
      "KEYWARD_STALE_IF_ERROR must be a duration like 30s, 5m or 1h, or 0",
    );
    expect(configError({ KEYWARD_DRAIN: "-1s" })).toContain("KEYWARD_DRAIN must be a duration");
  });
});

describe("connection bounds and retention", () => {
  const base = { KEYWARD_DATABASE_URL: "memory://" };

  it("defaults: 10000 connections, 10 s for the first bytes, 5 min idle, 90 days of retention", () => {
    const c = loadConfig(base);
    expect(c.connections).toEqual({ maxConnections: 10_000, firstBytesMs: 10_000, idleMs: 300_000 });
    expect(c.retentionMs).toBe(90 * 86_400_000);
  });

  it("reads KEYWARD_RETENTION as a duration or off, and refuses anything else naming it", () => {
    expect(loadConfig({ ...base, KEYWARD_RETENTION: "30d" }).retentionMs).toBe(30 * 86_400_000);
    expect(loadConfig({ ...base, KEYWARD_RETENTION: "off" }).retentionMs).toBeNull();
    expect(() => loadConfig({ ...base, KEYWARD_RETENTION: "forever" })).toThrow(/KEYWARD_RETENTION/);
    expect(() => loadConfig({ ...base, KEYWARD_MAX_CONNECTIONS: "0" })).toThrow(/KEYWARD_MAX_CONNECTIONS/);
    expect(() => loadConfig({ ...base, KEYWARD_IDLE_TIMEOUT: "soon" })).toThrow(/KEYWARD_IDLE_TIMEOUT/);
  });
});
