import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminCall,
  type CliStore,
  cliStore,
  createdKeyId,
  KEY_PATTERN,
  killSpawned,
  lines,
  runCli,
  type ServeProcess,
  startServe,
} from "../helpers/cli.js";
import { EnvoyClient, okHeaders } from "../helpers/envoy-client.js";

const DAY = 86_400_000;

/** A key as `keygen` printed it, with what it said about it on stderr. */
interface Minted {
  secret: string;
  id: string;
  stderr: string;
}

// On the store the integration suites run on: a PGlite data dir, or a PostgreSQL database of its own.
// A first PGlite start costs seconds, many more on a loaded machine.
describe("keyward migrate and keygen", { timeout: 90_000 }, () => {
  let store: CliStore;
  let serve: ServeProcess | undefined;
  let envoy: EnvoyClient | undefined;
  const minted: Record<string, Minted> = {};

  async function keygen(args: string[]): Promise<Minted> {
    const r = await runCli(["keygen", ...args], store.env);
    expect(r.code, r.stderr).toBe(0);
    return { secret: r.stdout.trim(), id: createdKeyId(r.stderr), stderr: r.stderr };
  }

  beforeAll(async () => {
    store = await cliStore();
  });
  afterAll(async () => {
    envoy?.close();
    await serve?.stop();
    await killSpawned();
    await store.remove();
  });

  it("migrates a fresh store, and migrating again changes nothing", async () => {
    const first = await runCli(["migrate"], store.env);
    expect(first.code).toBe(0);
    // A new embedded store starts from the migrated template the build makes; PostgreSQL is migrated here.
    expect(first.stderr).toContain(store.kind === "pglite" ? "created a new store" : "database migrated");
    expect(first.stderr).toContain("up to date");
    const second = await runCli(["migrate"], store.env);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain("database migrated");
    expect(second.stderr).not.toContain("created a new store");
    expect(second.stderr).toContain("up to date");
  });

  it("prints the key alone on stdout and the details on stderr", async () => {
    const r = await runCli(
      ["keygen", "--company", "acme", "--scopes", "candidates:read reports:*"],
      store.env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("\n")).toBe(true);
    expect(lines(r.stdout)).toHaveLength(1);
    const secret = r.stdout.trim();
    expect(secret).toMatch(KEY_PATTERN);
    expect(secret.startsWith("sk_live_")).toBe(true);
    expect(r.stderr).toContain("directly in the store");
    expect(r.stderr).toMatch(/company:\s+acme/);
    expect(r.stderr).toMatch(/scopes:\s+candidates:read reports:\*/);
    expect(r.stderr).toMatch(/expires:\s+never/);
    expect(r.stderr).toContain(`hint:        sk_live_…${secret.slice(-4)}`);
    // The secret itself never reaches stderr, where logs and terminals keep it.
    expect(r.stderr).not.toContain(secret);
    expect(r.stderr).not.toContain(secret.slice(8, 30));
    minted.plain = { secret, id: createdKeyId(r.stderr), stderr: r.stderr };
  });

  it("--expire 7d --env test --admin mints an expiring test key that holds keys:admin", async () => {
    const before = Date.now();
    const key = await keygen([
      "--company",
      "acme",
      "--expire",
      "7d",
      "--env",
      "test",
      "--admin",
      "--name",
      "bootstrap admin",
    ]);
    expect(key.secret).toMatch(/^sk_test_/);
    expect(key.stderr).toMatch(/environment:\s+test/);
    expect(key.stderr).toMatch(/scopes:\s+keys:admin\n/);
    const expires = Date.parse(/expires:\s+(\S+)/.exec(key.stderr)?.[1] ?? "");
    expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 2000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);
    minted.admin = key;
  });

  it("--platform-admin grants platform:admin, and --ip-allow is kept", async () => {
    const key = await keygen([
      "--company",
      "ops",
      "--platform-admin",
      "--ip-allow",
      "10.0.0.0/8, 2001:db8::/32",
    ]);
    expect(key.stderr).toMatch(/scopes:\s+platform:admin\n/);
    minted.platform = key;
  });

  it("the keys work: Check accepts them with the scopes keygen gave", async () => {
    serve = await startServe(store.env);
    envoy = new EnvoyClient(serve.authzAddress);
    const plain = minted.plain as Minted;
    const ok = await envoy.check({
      path: "/v1/companies/acme/candidates",
      headers: { authorization: `Bearer ${plain.secret}` },
      contextExtensions: { scopes: "candidates:read", company_from: "path:/v1/companies/{company}/**" },
    });
    expect(ok.status.code).toBe(0);
    expect(okHeaders(ok)["x-keyward-key-id"]).toBe(plain.id);
    expect(okHeaders(ok)["x-keyward-scopes"]).toBe("candidates:read reports:*");

    const admin = minted.admin as Minted;
    const testKey = await envoy.check({ headers: { "x-api-key": admin.secret }, contextExtensions: {} });
    expect(testKey.status.code).toBe(0);
    expect(okHeaders(testKey)["x-keyward-environment"]).toBe("test");
    expect(okHeaders(testKey)["x-keyward-scopes"]).toBe("keys:admin");
    const live = await envoy.check({
      headers: { authorization: `Bearer ${admin.secret}` },
      contextExtensions: { environment: "live" },
    });
    expect(live.status.code).toBe(7);

    const platform = minted.platform as Minted;
    const outside = await envoy.check({
      headers: { authorization: `Bearer ${platform.secret}` },
      sourceIp: "192.0.2.10",
    });
    expect(outside.status.code).toBe(7);
    const inside = await envoy.check({
      headers: { authorization: `Bearer ${platform.secret}` },
      sourceIp: "2001:db8::1",
    });
    expect(inside.status.code).toBe(0);
  });

  it("the --admin key manages its company's keys and reads back the 7-day expiry", async () => {
    const { adminUrl } = serve as ServeProcess;
    const admin = minted.admin as Minted;
    const got = await adminCall(adminUrl, "GetKey", { keyId: admin.id }, admin.secret);
    expect(got.status).toBe(200);
    expect(got.json.name).toBe("bootstrap admin");
    expect(got.json.environment).toBe("test");
    const expires = Date.parse(String(got.json.expireTime));
    expect(Math.abs(expires - Date.parse(/expires:\s+(\S+)/.exec(admin.stderr)?.[1] ?? ""))).toBeLessThan(
      1000,
    );

    const other = await adminCall(adminUrl, "GetKey", { keyId: (minted.plain as Minted).id }, admin.secret);
    expect(other.status).toBe(200);
    // A key without an admin scope is no admin credential.
    const refused = await adminCall(adminUrl, "GetKey", { keyId: admin.id }, (minted.plain as Minted).secret);
    expect(refused.status).toBe(403);
  });

  it("keeps nothing but a hash of the key", async () => {
    if (!store.query) {
      // PGlite: the data dir belongs to the running server; the admin API shows what is stored.
      const admin = minted.admin as Minted;
      const got = await adminCall(
        (serve as ServeProcess).adminUrl,
        "GetKey",
        { keyId: admin.id },
        admin.secret,
      );
      expect(JSON.stringify(got.json)).not.toContain(admin.secret);
      expect(got.json.hint).toBe(`sk_test_…${admin.secret.slice(-4)}`);
      return;
    }
    const rows = await store.query("select * from keys");
    expect(rows).toHaveLength(3);
    const dump = JSON.stringify(rows);
    for (const key of Object.values(minted)) expect(dump).not.toContain(key.secret);
  });
});
