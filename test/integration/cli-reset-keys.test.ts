import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killSpawned, lines, runCli, type ServeProcess, startServe, tempDataDir } from "../helpers/cli.js";
import { deniedBody, EnvoyClient } from "../helpers/envoy-client.js";

// The data dir belongs to the server while it runs, so the command must go through it; afterwards, straight
// into the store. PGlite whatever the suites' database: that is where the data dir matters.
// A first PGlite start takes seconds, many more on a loaded machine: hence the long bounds.
const START_MS = 150_000;

describe("keyward reset-keys", { timeout: 2 * START_MS }, () => {
  const dir = tempDataDir();
  const env = { KEYWARD_DATA_DIR: dir.dataDir };
  let serve: ServeProcess;
  let envoy: EnvoyClient;

  async function keygen(company: string): Promise<string> {
    const r = await runCli(["keygen", "--company", company], env);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  }

  async function check(secret: string): Promise<string> {
    const res = await envoy.check({ headers: { authorization: `Bearer ${secret}` } });
    return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
  }

  beforeAll(async () => {
    serve = await startServe(env, [], START_MS);
    envoy = new EnvoyClient(serve.authzAddress);
  }, START_MS + 10_000);
  afterAll(async () => {
    envoy?.close();
    await killSpawned();
    dir.remove();
  });

  it("refuses without --yes or --reason, in one line, and revokes nothing", async () => {
    const key = await keygen("acme");
    const noYes = await runCli(["reset-keys", "--reason", "leak", "--company", "acme"], env);
    expect(noYes.code).toBe(2);
    expect(lines(noYes.stderr)).toEqual([
      'keyward reset-keys: this revokes every key of company "acme"; add --yes to do it',
    ]);
    const noReason = await runCli(["reset-keys", "--yes"], env);
    expect(noReason.code).toBe(2);
    expect(lines(noReason.stderr)).toEqual(["keyward reset-keys: --reason is required"]);
    expect(await check(key)).toBe("allow");
  });

  it("revokes one company's keys through the running server, which stops accepting them at once", async () => {
    const acme = [await keygen("acme"), await keygen("acme")];
    const globex = await keygen("globex");
    for (const k of acme) expect(await check(k)).toBe("allow");
    const r = await runCli(["reset-keys", "--reason", "repo leaked", "--company", "acme", "--yes"], env);
    expect(r.code, r.stderr).toBe(0);
    // Three: the one made by the first test too.
    expect(r.stdout.trim()).toBe(
      `revoked 3 keys (every key of company "acme") through keyward serve (pid ${serve.pid})`,
    );
    for (const k of acme) expect(await check(k)).toBe("revoked_key");
    expect(await check(globex)).toBe("allow");
  });

  it("without a server it revokes every company's keys straight in the store", async () => {
    const globex = await keygen("globex");
    expect(await serve.stop()).toBe(0);
    const r = await runCli(["reset-keys", "--reason", "pepper rotated", "--yes"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("revoked 2 keys (every key of every company) directly in the store");
    serve = await startServe(env, [], START_MS);
    envoy.close();
    envoy = new EnvoyClient(serve.authzAddress);
    expect(await check(globex)).toBe("revoked_key");
  });
});
