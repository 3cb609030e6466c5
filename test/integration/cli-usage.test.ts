import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type CliResult, killSpawned, lines, runCli, tempDataDir } from "../helpers/cli.js";

// Bad input is refused before any store is opened, so these runs are cheap and the data dir is never created.
const dir = tempDataDir();
const env = { KEYWARD_DATA_DIR: dir.dataDir };

afterAll(async () => {
  await killSpawned();
  dir.remove();
});

/** Exit 2, nothing on stdout, and exactly one stderr line that mentions `name`. */
function expectUsageError(r: CliResult, name: string): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  const errors = lines(r.stderr);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(name);
}

describe.concurrent("keyward --help", () => {
  it("describes every command and exits 0", async () => {
    const r = await runCli(["--help"], env);
    expect(r.code).toBe(0);
    for (const command of ["serve", "migrate", "keygen", "status"]) expect(r.stdout).toContain(command);
  });

  it.each([
    ["serve", ["--dev", "--authz-listen", "--admin-listen"]],
    ["migrate", ["keyward migrate"]],
    [
      "keygen",
      ["--company", "--scopes", "--expire", "--env", "--name", "--ip-allow", "--admin", "--platform-admin"],
    ],
    ["status", ["--authz-listen", "--admin-listen"]],
  ])("keyward %s --help lists its flags and exits 0", async (command, flags) => {
    const r = await runCli([command, "--help"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: keyward ${command}`);
    for (const flag of flags) expect(r.stdout).toContain(flag);
  });

  it("without a command prints the usage on stderr and exits 2", async () => {
    const r = await runCli([], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Usage: keyward <command>");
  });
});

describe.concurrent("bad command lines exit 2 with one line naming what is wrong", () => {
  it.each([
    ["an unknown command", ["frobnicate"], "frobnicate"],
    ["a name inherited from Object", ["toString"], "toString"],
    ["an unknown top-level flag", ["--verbose"], "--verbose"],
    ["an unknown keygen flag", ["keygen", "--company", "acme", "--colour"], "--colour"],
    ["an unknown serve flag", ["serve", "--port", "1"], "--port"],
    ["a flag without its value", ["keygen", "--company"], "--company"],
    ["a stray argument", ["migrate", "now"], "now"],
    ["keygen without --company", ["keygen", "--scopes", "candidates:read"], "--company"],
    ["a bad --company", ["keygen", "--company", "acme corp"], "--company"],
    ["a bad --env", ["keygen", "--company", "acme", "--env", "prod"], "--env"],
    ["a bad --scopes", ["keygen", "--company", "acme", "--scopes", "candidates:read Reports"], "--scopes"],
    ["--expire 5x", ["keygen", "--company", "acme", "--expire", "5x"], "--expire"],
    ["--expire 0s", ["keygen", "--company", "acme", "--expire", "0s"], "--expire"],
    ["--expire past year 9999", ["keygen", "--company", "acme", "--expire", "9000y"], "--expire"],
    [
      "a bad --ip-allow",
      ["keygen", "--company", "acme", "--ip-allow", "10.0.0.0/8,300.1.2.3/32"],
      "--ip-allow",
    ],
    [
      "an --ip-allow prefix too long",
      ["keygen", "--company", "acme", "--ip-allow", "10.0.0.0/33"],
      "--ip-allow",
    ],
    [
      "--admin with --platform-admin",
      ["keygen", "--company", "acme", "--admin", "--platform-admin"],
      "--platform-admin",
    ],
    ["a --name over 128 characters", ["keygen", "--company", "acme", "--name", "n".repeat(129)], "--name"],
    ["a bad --authz-listen", ["status", "--authz-listen", "localhost"], "--authz-listen"],
  ])("%s", async (_what, args, name) => {
    expectUsageError(await runCli(args, env), name);
    expect(existsSync(dir.dataDir)).toBe(false);
  });

  it("serve --dev with a non-loopback listener", async () => {
    const r = await runCli(["serve", "--dev"], { ...env, KEYWARD_ADMIN_LISTEN: "0.0.0.0:0" });
    expectUsageError(r, "--dev");
    expect(existsSync(dir.dataDir)).toBe(false);
  });

  it("serve --dev with a non-loopback authz listener given as a flag", async () => {
    const r = await runCli(
      ["serve", "--dev", "--authz-listen", "0.0.0.0:0", "--admin-listen", "127.0.0.1:0"],
      env,
    );
    expectUsageError(r, "--dev");
  });
});

describe.concurrent("pepper rules", () => {
  const keygen = ["keygen", "--company", "acme"];

  it("refuses a KEYWARD_PEPPER shorter than 32 bytes", async () => {
    const r = await runCli(keygen, { ...env, KEYWARD_PEPPER: "ab".repeat(31) });
    expectUsageError(r, "KEYWARD_PEPPER");
    expect(r.stderr).toContain("31 bytes");
  });

  it("refuses a KEYWARD_PEPPER that is neither hex nor base64", async () => {
    const r = await runCli(keygen, { ...env, KEYWARD_PEPPER: `${"z".repeat(50)}!?` });
    expectUsageError(r, "KEYWARD_PEPPER");
  });

  it("refuses an unreadable KEYWARD_PEPPER_FILE", async () => {
    const r = await runCli(keygen, { ...env, KEYWARD_PEPPER_FILE: `${dir.dataDir}-missing/pepper` });
    expectUsageError(r, "KEYWARD_PEPPER_FILE");
  });

  it("refuses KEYWARD_DATABASE_URL without a pepper, naming the missing setting", async () => {
    const r = await runCli(keygen, { KEYWARD_DATABASE_URL: "postgres://keyward@127.0.0.1:1/nowhere" });
    expectUsageError(r, "KEYWARD_PEPPER");
    expect(r.stderr).toContain("KEYWARD_DATABASE_URL");
  });

  it("refuses a KEYWARD_DATABASE_URL that is not a postgres URL", async () => {
    const r = await runCli(["migrate"], { KEYWARD_DATABASE_URL: "mysql://db/keys" });
    expectUsageError(r, "KEYWARD_DATABASE_URL");
  });
});
