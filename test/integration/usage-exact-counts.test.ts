import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/database.js";
import { EnvoyClient, type EnvoyRequest, wellFormedKey } from "../helpers/envoy-client.js";
import {
  dropSchema,
  freshSchema,
  startTestApp,
  TEST_DATABASE,
  TEST_DATABASE_URL,
} from "../helpers/test-app.js";
import { type AuthTotals, readTraffic, type TrafficTotals } from "../helpers/traffic-tables.js";

/**
 * Usage and the authentication audit are exact: a known mix of requests, then a graceful shutdown
 * (App.destroy) with no flush beforehand, then the tables, read from the same store after the app is gone,
 * hold exactly what was sent. PostgreSQL: the app's own schema. PGlite: a data dir, reopened after shutdown.
 */
describe("usage and auth audit after a graceful shutdown", () => {
  const schema = freshSchema();
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-usage-"));
  let key: { id: string; secret: string };
  let other: { id: string; secret: string };
  let traffic: TrafficTotals;

  beforeAll(async () => {
    const t =
      TEST_DATABASE === "postgres"
        ? await startTestApp({ schema })
        : await startTestApp({ env: { KEYWARD_DATABASE_URL: "", KEYWARD_DATA_DIR: join(dataDir, "data") } });
    const envoy = new EnvoyClient(t.authzAddress);
    try {
      key = await t.mintKey({ companyId: "acme", scopes: ["candidates:read", "candidates:write"] });
      other = await t.mintKey({ companyId: "globex", scopes: ["jobs:read"] });
      const as = (secret: string, r: EnvoyRequest): EnvoyRequest => ({
        ...r,
        headers: { authorization: `Bearer ${secret}`, ...r.headers },
      });
      const requests: EnvoyRequest[] = [];
      for (let i = 0; i < 20; i++)
        requests.push(
          as(key.secret, {
            path: `/v1/candidates?page=${i}`,
            sourceIp: "10.0.0.1",
            contextExtensions: { scopes: "candidates:read" },
          }),
        );
      for (let i = 0; i < 17; i++)
        requests.push(
          as(key.secret, {
            method: "POST",
            path: "/v1/candidates/42/notes",
            sourceIp: i % 2 ? "10.0.0.2" : "2001:db8::2",
            contextExtensions: { scopes: "candidates:write" },
          }),
        );
      for (let i = 0; i < 5; i++)
        requests.push(
          as(key.secret, {
            path: "/v1/jobs",
            sourceIp: "10.0.0.3",
            contextExtensions: { scopes: "jobs:write" },
          }),
        );
      for (let i = 0; i < 4; i++) requests.push(as(other.secret, { path: "/v1/jobs", sourceIp: "10.9.0.1" }));
      for (let i = 0; i < 7; i++)
        requests.push(as(wellFormedKey(), { sourceIp: i < 4 ? "198.51.100.1" : "198.51.100.2" }));
      for (let i = 0; i < 3; i++) requests.push(as("sk_live_tooShort", { sourceIp: "198.51.100.3" }));
      for (let i = 0; i < 2; i++) requests.push({ sourceIp: "198.51.100.3" });
      // Concurrently, a few at a time, as Envoy would send them.
      const codes: number[] = [];
      for (let i = 0; i < requests.length; i += 8)
        codes.push(
          ...(await Promise.all(requests.slice(i, i + 8).map((r) => envoy.check(r)))).map(
            (r) => r.status.code,
          ),
        );
      expect(codes.filter((c) => c === 0)).toHaveLength(41);
    } finally {
      envoy.close();
      // No flush first: shutdown alone must write everything.
      await t.close();
    }
    const db =
      TEST_DATABASE === "postgres"
        ? await Database.open({ kind: "postgres", url: TEST_DATABASE_URL, schema })
        : await Database.open({ kind: "pglite", dataDir: join(dataDir, "data") });
    try {
      traffic = await readTraffic(db);
    } finally {
      await db.close();
    }
  });

  afterAll(async () => {
    if (TEST_DATABASE === "postgres") await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("counts allowed and denied requests per key and acting company", () => {
    expect(traffic.usage).toEqual({
      [`${key.id} acme`]: { requests: 37, denied: 5 },
      [`${other.id} globex`]: { requests: 4, denied: 0 },
    });
  });

  it("counts allowed requests per endpoint (method and path, without the query)", () => {
    expect(traffic.endpoints).toEqual({
      [`${key.id} GET /v1/candidates`]: 20,
      [`${key.id} POST /v1/candidates/42/notes`]: 17,
      [`${other.id} GET /v1/jobs`]: 4,
    });
  });

  it("audits each known key per outcome, with its distinct source addresses", () => {
    const expected: Record<string, AuthTotals> = {
      [`${key.id} acme allow`]: { count: 37, sourceIps: ["10.0.0.1", "10.0.0.2", "2001:db8::2"] },
      [`${key.id} acme insufficient_scope`]: { count: 5, sourceIps: ["10.0.0.3"] },
      [`${other.id} globex allow`]: { count: 4, sourceIps: ["10.9.0.1"] },
    };
    expect(traffic.byKey).toEqual(expected);
  });

  it("audits failures without a known key per source address", () => {
    expect(traffic.bySourceIp).toEqual({
      "198.51.100.1 invalid_key": 4,
      "198.51.100.2 invalid_key": 3,
      "198.51.100.3 malformed_key": 3,
      "198.51.100.3 missing_key": 2,
    });
  });

  it("records when each key was last used", () => {
    expect(traffic.lastUsed[key.id]).toBeInstanceOf(Date);
    expect(traffic.lastUsed[other.id]).toBeInstanceOf(Date);
  });
});
