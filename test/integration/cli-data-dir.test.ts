import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataDirBusyError, lockDataDir } from "../../src/store/data-dir.js";
import {
  type CliResult,
  createdKeyId,
  KEY_PATTERN,
  killSpawned,
  lines,
  runCli,
  type ServeProcess,
  startServe,
  tempDataDir,
} from "../helpers/cli.js";
import { EnvoyClient, okHeaders } from "../helpers/envoy-client.js";

// The embedded PGlite data dir belongs to one process: these run on PGlite whatever the suites' database.
// A first PGlite start costs seconds (many more on a loaded machine), hence the long timeouts.
describe("one process per PGlite data dir", { timeout: 90_000 }, () => {
  const dir = tempDataDir();
  const env = { KEYWARD_DATA_DIR: dir.dataDir };
  const pepperPath = join(dir.dataDir, "pepper");
  const lockPath = join(dir.dataDir, "keyward.lock");
  const handlePath = join(dir.dataDir, "server.json");
  let serve: ServeProcess;
  let pepper: string;
  /** Keys by name, with their ids. */
  const keys: Record<string, { secret: string; id: string }> = {};

  async function keygen(name: string, args: string[]) {
    const r = await runCli(["keygen", ...args], env);
    expect(r.code, r.stderr).toBe(0);
    const secret = r.stdout.trim();
    expect(secret).toMatch(KEY_PATTERN);
    keys[name] = { secret, id: createdKeyId(r.stderr) };
    return r;
  }

  async function expectAllowed(envoy: EnvoyClient, name: string) {
    const key = keys[name] as { secret: string; id: string };
    const res = await envoy.check({ headers: { authorization: `Bearer ${key.secret}` } });
    expect(res.status.code, `key ${name}`).toBe(0);
    expect(okHeaders(res)["x-keyward-key-id"]).toBe(key.id);
    return res;
  }

  let race: CliResult[];

  beforeAll(async () => {
    // Two keygens race for the new dir, with no pepper set: one takes it (and gives it a pepper of its own),
    // the other finds it held, or gets it once the first is done.
    race = await Promise.all(
      [0, 1].map(() => runCli(["keygen", "--company", "acme", "--scopes", "candidates:read"], env)),
    );
    const winner = race.find((r) => r.code === 0);
    if (winner) keys.first = { secret: winner.stdout.trim(), id: createdKeyId(winner.stderr) };
    pepper = readFileSync(pepperPath, "utf8");
    serve = await startServe(env);
  }, 120_000);
  afterAll(async () => {
    await killSpawned();
    dir.remove();
  });

  it("lets one of two racing commands in and tells the other which process holds the dir", () => {
    const winners = race.filter((r) => r.code === 0);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    for (const r of winners) {
      expect(lines(r.stdout)).toEqual([expect.stringMatching(KEY_PATTERN)]);
      expect(r.stderr).toContain("directly in the store");
    }
    expect(race.filter((r) => r.stderr.includes("no KEYWARD_PEPPER set: generated one"))).toHaveLength(1);
    for (const r of race.filter((r) => r.code !== 0)) {
      const other = race.find((o) => o !== r) as CliResult;
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr)).toEqual([
        `keyward keygen: data dir ${dir.dataDir} is held by process ${other.pid}`,
      ]);
    }
  });

  it("generated the pepper as 32 random bytes in hex, readable by its owner only", () => {
    expect(pepper).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(pepperPath).mode & 0o777).toBe(0o600);
    expect(statSync(dir.dataDir).mode & 0o077).toBe(0);
  });

  it("serve reuses the pepper: a key minted before it started verifies", async () => {
    const envoy = new EnvoyClient(serve.authzAddress);
    try {
      const res = await expectAllowed(envoy, "first");
      expect(okHeaders(res)["x-keyward-scopes"]).toBe("candidates:read");
    } finally {
      envoy.close();
    }
    expect(readFileSync(pepperPath, "utf8")).toBe(pepper);
    expect(serve.logs.some((l) => String(l.msg).includes("no KEYWARD_PEPPER set"))).toBe(false);
  });

  it("keeps the server's credential for local commands in the data dir, mode 0600", () => {
    const handle = JSON.parse(readFileSync(handlePath, "utf8")) as { pid: number; adminUrl: string };
    expect(handle.pid).toBe(serve.pid);
    expect(handle.adminUrl).toBe(serve.adminUrl);
    expect(statSync(handlePath).mode & 0o777).toBe(0o600);
    expect(readFileSync(lockPath, "utf8").split(" ")[0]).toBe(String(serve.pid));
  });

  it("keygen goes through the running server, and Check accepts the key", async () => {
    const r = await keygen("viaServer", ["--company", "acme", "--scopes", "reports:read", "--expire", "1y"]);
    expect(r.stderr).toContain(`through keyward serve (pid ${serve.pid})`);
    expect(lines(r.stdout)).toHaveLength(1);
    const envoy = new EnvoyClient(serve.authzAddress);
    try {
      const res = await expectAllowed(envoy, "viaServer");
      expect(okHeaders(res)["x-keyward-scopes"]).toBe("reports:read");
      expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
    } finally {
      envoy.close();
    }
  });

  it("bad keygen input is refused by the CLI before it reaches the server", async () => {
    const r = await runCli(["keygen", "--company", "acme", "--scopes", "nope"], env);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("--scopes");
  });

  it("migrate leaves the held dir to the server", async () => {
    const r = await runCli(["migrate"], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`pid ${serve.pid}`);
  });

  it("a second serve on the dir exits non-zero with one line naming the holder", async () => {
    const r = await runCli(["serve"], {
      ...env,
      KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0",
      KEYWARD_ADMIN_LISTEN: "127.0.0.1:0",
    });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    const errors = lines(r.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`process ${serve.pid}`);
    expect(errors[0]).toContain(dir.dataDir);
    // The running server is unharmed.
    expect(readFileSync(lockPath, "utf8").split(" ")[0]).toBe(String(serve.pid));
  });

  it("status reports both listeners up and admin auth on", async () => {
    const r = await runCli(
      ["status", "--authz-listen", serve.authzListen, "--admin-listen", serve.adminListen],
      {},
    );
    expect(r.code).toBe(0);
    const [authz, admin] = lines(r.stdout);
    expect(authz).toMatch(/^authz\s+127\.0\.0\.1:\d+\s+up/);
    expect(admin).toMatch(/^admin\s+127\.0\.0\.1:\d+\s+up, admin auth on$/);
  });

  it("SIGTERM stops serve with exit 0 and frees the dir", async () => {
    const { authzListen, adminListen } = serve;
    expect(await serve.stop("SIGTERM")).toBe(0);
    expect(serve.logs.map((l) => l.msg)).toContain("stopped");
    expect(existsSync(lockPath)).toBe(false);
    expect(existsSync(handlePath)).toBe(false);

    const down = await runCli(["status", "--authz-listen", authzListen, "--admin-listen", adminListen], {});
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/authz .*down/);
    expect(down.stdout).toMatch(/admin .*down/);

    const r = await keygen("afterStop", ["--company", "globex"]);
    expect(r.stderr).toContain("directly in the store");
  });

  it("takes over a lock left by a process that died", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]);
    expect(dead.status).toBe(0);
    writeFileSync(lockPath, String(dead.pid), { mode: 0o600 });
    const r = await keygen("afterCrash", ["--company", "globex", "--env", "test"]);
    expect(r.stderr).toContain("directly in the store");
    expect(existsSync(lockPath)).toBe(false);
  });

  it("keys minted by every route verify after a restart, under the same pepper", async () => {
    serve = await startServe(env);
    const envoy = new EnvoyClient(serve.authzAddress);
    try {
      for (const name of ["first", "viaServer", "afterStop", "afterCrash"]) await expectAllowed(envoy, name);
    } finally {
      envoy.close();
    }
    expect(readFileSync(pepperPath, "utf8")).toBe(pepper);
    expect(await serve.stop("SIGINT")).toBe(0);
  });

  it("refuses a damaged pepper file instead of hashing under it", async () => {
    writeFileSync(pepperPath, "0123abcd\n");
    const r = await runCli(["keygen", "--company", "acme"], env);
    writeFileSync(pepperPath, pepper);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const errors = lines(r.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(pepperPath);
    expect(existsSync(lockPath)).toBe(false);
  });
});

describe("lock files", () => {
  const dir = tempDataDir();
  afterAll(() => dir.remove());

  it("treat a lock naming this very pid, but not taken by this process, as stale (a container's PID 1)", () => {
    mkdirSync(dir.dataDir, { recursive: true });
    writeFileSync(join(dir.dataDir, "keyward.lock"), String(process.pid));
    const release = lockDataDir(dir.dataDir);
    expect(() => lockDataDir(dir.dataDir)).toThrow(DataDirBusyError);
    release();
    expect(existsSync(join(dir.dataDir, "keyward.lock"))).toBe(false);
    expect(lockDataDir(dir.dataDir)).toBeTypeOf("function");
  });
});
