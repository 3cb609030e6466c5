import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/database.js";
import { createdKeyId, killSpawned, runCli, startServe } from "../helpers/cli.js";
import { EnvoyClient, wellFormedKey } from "../helpers/envoy-client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/replicas.js";
import { TEST_DATABASE } from "../helpers/test-app.js";
import { readTraffic, type TrafficTotals } from "../helpers/traffic-tables.js";

/**
 * `keyward serve` as operators run it: requests, then SIGTERM. The process exits 0, and the store holds exactly
 * the usage and audit of what was sent (the last batch is written on the way out). PostgreSQL: a database of
 * its own. PGlite: a data dir, reopened once the process has let go of it.
 */
describe("SIGTERM on keyward serve", () => {
  let pgDatabase: TestDatabase | undefined;
  const base = mkdtempSync(join(tmpdir(), "keyward-sigterm-"));
  const dataDir = join(base, "data");
  let exitCode: number | null;
  let logs: Record<string, unknown>[];
  let keyId: string;
  let traffic: TrafficTotals;

  beforeAll(async () => {
    let env: Record<string, string>;
    if (TEST_DATABASE === "postgres") {
      pgDatabase = await createTestDatabase("keyward_usage");
      env = { KEYWARD_DATABASE_URL: pgDatabase.url, KEYWARD_PEPPER: randomBytes(32).toString("hex") };
    } else {
      env = { KEYWARD_DATA_DIR: dataDir, KEYWARD_PEPPER: randomBytes(32).toString("hex") };
    }
    const made = await runCli(["keygen", "--company", "acme", "--scopes", "candidates:read"], env);
    expect(made.code).toBe(0);
    keyId = createdKeyId(made.stderr);
    const secret = made.stdout.trim();

    const serve = await startServe(env);
    const envoy = new EnvoyClient(serve.authzAddress);
    try {
      const auth = { authorization: `Bearer ${secret}` };
      const sent = [];
      for (let i = 0; i < 12; i++)
        sent.push(
          envoy.check({
            path: "/v1/candidates",
            headers: auth,
            sourceIp: "10.0.0.1",
            contextExtensions: { scopes: "candidates:read" },
          }),
        );
      for (let i = 0; i < 3; i++)
        sent.push(
          envoy.check({
            path: "/v1/jobs",
            headers: auth,
            sourceIp: "10.0.0.2",
            contextExtensions: { scopes: "jobs:read" },
          }),
        );
      for (let i = 0; i < 4; i++)
        sent.push(
          envoy.check({ headers: { authorization: `Bearer ${wellFormedKey()}` }, sourceIp: "198.51.100.7" }),
        );
      const codes = (await Promise.all(sent)).map((r) => r.status.code);
      expect(codes.filter((c) => c === 0)).toHaveLength(12);
    } finally {
      envoy.close();
    }
    // Straight after the last answer: whatever the once-a-second flush has not written yet is still in memory.
    exitCode = await Promise.race([
      serve.stop("SIGTERM"),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000)),
    ]);
    logs = serve.logs;

    const db =
      pgDatabase !== undefined
        ? await Database.open({ kind: "postgres", url: pgDatabase.url })
        : await Database.open({ kind: "pglite", dataDir });
    try {
      traffic = await readTraffic(db);
    } finally {
      await db.close();
    }
  }, 120_000);

  afterAll(async () => {
    await killSpawned();
    await pgDatabase?.drop();
    rmSync(base, { recursive: true, force: true });
  });

  it("exits 0 after logging its shutdown", () => {
    expect(exitCode).toBe(0);
    const messages = logs.map((l) => l.msg);
    expect(messages).toContain("shutting down");
    expect(messages.indexOf("stopped")).toBeGreaterThan(messages.indexOf("shutting down"));
  });

  it("leaves exactly what was sent in the store", () => {
    expect(traffic.usage).toEqual({ [`${keyId} acme`]: { requests: 12, denied: 3 } });
    expect(traffic.endpoints).toEqual({ [`${keyId} GET /v1/candidates`]: 12 });
    expect(traffic.byKey).toEqual({
      [`${keyId} acme allow`]: { count: 12, sourceIps: ["10.0.0.1"] },
      [`${keyId} acme insufficient_scope`]: { count: 3, sourceIps: ["10.0.0.2"] },
    });
    expect(traffic.bySourceIp).toEqual({ "198.51.100.7 invalid_key": 4 });
    expect(traffic.lastUsed[keyId]).toBeInstanceOf(Date);
  });
});
