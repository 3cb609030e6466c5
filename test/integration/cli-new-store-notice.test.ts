import { relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KEY_PATTERN, killSpawned, lines, ROOT, runCli, tempDataDir } from "../helpers/cli.js";

// Embedded PGlite whatever the suites' database: a command run from the wrong directory makes a new store.
describe("a command that creates a new store says so", { timeout: 240_000 }, () => {
  const dir = tempDataDir();
  // Relative to the directory the CLI runs in, as a mistyped or defaulted KEYWARD_DATA_DIR would be.
  const env = { KEYWARD_DATA_DIR: relative(ROOT, dir.dataDir) };
  afterAll(async () => {
    await killSpawned();
    dir.remove();
  });

  it("status names the store it looked at before there is one", async () => {
    const r = await runCli(["status", "--authz-listen", "127.0.0.1:1", "--admin-listen", "127.0.0.1:1"], env);
    expect(lines(r.stdout)[2]).toBe(
      `store  ${dir.dataDir}: no store there yet (the first command that writes creates one)`,
    );
  });

  it("the first keygen prints one stderr line with the absolute path; the next one does not", async () => {
    const first = await runCli(["keygen", "--company", "acme"], env, 110_000);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toMatch(KEY_PATTERN);
    const notices = lines(first.stderr).filter((l) => l.includes("created a new store"));
    expect(notices).toEqual([
      `keyward: created a new store in ${dir.dataDir} (only a server using this data dir sees its keys; set KEYWARD_DATA_DIR to use another)`,
    ]);

    const second = await runCli(["keygen", "--company", "acme"], env, 110_000);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain("created a new store");
  });

  it("status then names the store and whether a process holds it", async () => {
    const r = await runCli(["status", "--authz-listen", "127.0.0.1:1", "--admin-listen", "127.0.0.1:1"], env);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)[2]).toBe(`store  ${dir.dataDir} (embedded PGlite, not in use)`);
  });

  it("status on PostgreSQL names the server and database, never the password", async () => {
    const r = await runCli(["status", "--authz-listen", "127.0.0.1:1", "--admin-listen", "127.0.0.1:1"], {
      KEYWARD_DATABASE_URL: "postgres://keyward:hunter2@db.internal:5433/keys",
      KEYWARD_PEPPER: "ab".repeat(32),
    });
    expect(lines(r.stdout)[2]).toBe("store  PostgreSQL db.internal:5433/keys");
    expect(r.stdout).not.toContain("hunter2");
  });
});
