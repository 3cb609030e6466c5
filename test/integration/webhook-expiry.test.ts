import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { dropSchema, freshSchema, startTestApp, TEST_DATABASE, type TestApp } from "../helpers/test-app.js";
import { WebhookReceiver } from "../helpers/webhook-receiver.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Both replicas' clock: real time plus however far the test has moved it. */
let offset = 0;
const now = () => Date.now() + offset;

/**
 * Two replicas on one PostgreSQL schema scan at once, again and again, and one of them restarts: each warning
 * still goes out once. On PGlite (one process per store) the replica restarts on the same data dir instead.
 */
/** One pepper for every replica and restart, as operators would configure them. */
const pepper = randomBytes(32).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "keyward-expiry-"));
const schema = TEST_DATABASE === "postgres" ? freshSchema() : undefined;
const options = {
  now,
  ...(schema ? { schema } : {}),
  env: {
    KEYWARD_WEBHOOK_ALLOW_INSECURE: "true",
    // Scans are driven by the test; the timer would only add more of them.
    KEYWARD_NOTIFY_INTERVAL: "1h",
    ...(schema ? {} : { KEYWARD_DATABASE_URL: "", KEYWARD_DATA_DIR: join(dir, "data") }),
  },
};
let a: TestApp;
let b: TestApp | undefined;
let clients: AdminClients;
let admin: KeyAdminClient;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  a = await startTestApp({ ...options, env: { ...options.env, KEYWARD_PEPPER: pepper } });
  if (schema) b = await startTestApp({ ...options, env: { ...options.env, KEYWARD_PEPPER: pepper } });
  clients = new AdminClients(a.adminUrl);
  admin = clients.client("grpc-h2c", (await a.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret);
  await admin.createWebhook({
    webhook: { url: receiver.url(), eventTypes: ["key.expiring", "key.expired"] },
  });
});
afterAll(async () => {
  clients.close();
  await a.close();
  await b?.close();
  await receiver.close();
  if (schema) await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
});

/** Every replica scans several times, at the same time and one after another. */
async function scanEverywhere(): Promise<void> {
  const replicas = [a, b].filter((r): r is TestApp => r !== undefined);
  await Promise.all(
    replicas.flatMap((r) => [r.app.ctx.events.scheduler.runOnce(), r.app.ctx.events.scheduler.runOnce()]),
  );
  for (const r of replicas) await r.app.ctx.events.scheduler.runOnce();
}

/** Restarts the second replica (PostgreSQL) or the only one, on its data dir (PGlite). */
async function restart(): Promise<void> {
  if (b) {
    await b.close();
    b = await startTestApp({ ...options, env: { ...options.env, KEYWARD_PEPPER: pepper } });
    return;
  }
  clients.close();
  await a.close();
  a = await startTestApp({ ...options, env: { ...options.env, KEYWARD_PEPPER: pepper } });
  clients = new AdminClients(a.adminUrl);
  admin = clients.client("grpc-h2c", (await a.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret);
}

/**
 * The notices received for a key, one per event: a delivery repeated (same webhook-id, as at-least-once
 * allows) is the same event.
 */
const notices = (keyId: string) => {
  const seen = new Set<string>();
  return receiver.received
    .filter((r) => {
      const id = String(r.headers["webhook-id"]);
      if (seen.has(id)) return false;
      seen.add(id);
      return JSON.parse(r.body).data.key_id === keyId;
    })
    .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> })
    .map((e) => (e.type === "key.expiring" ? `expiring:${e.data.days_left}` : e.type));
};

describe("key.expiring and key.expired", () => {
  it("fire once per threshold and key, whatever the replicas and restarts", async () => {
    const { key } = await admin.createKey({
      name: "ten-days",
      scopes: ["x:read"],
      ttl: { seconds: BigInt(10 * 86_400) },
    });
    const id = key?.id as string;
    await scanEverywhere();
    expect(notices(id)).toEqual([]);

    offset += 3.5 * DAY; // 6.5 days left: inside 7d
    await scanEverywhere();
    await receiver.waitFor(() => notices(id).length >= 1);
    await restart();
    await scanEverywhere();
    offset += 2 * DAY; // 4.5 days left: still only the 7d warning
    await scanEverywhere();

    offset += 4 * DAY; // 12 hours left: inside 1d
    await scanEverywhere();
    await receiver.waitFor(() => notices(id).length >= 2);
    await restart();
    await scanEverywhere();

    offset += 13 * HOUR; // expired an hour ago
    await scanEverywhere();
    await scanEverywhere();
    await receiver.waitFor(() => notices(id).length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(notices(id)).toEqual(["expiring:7", "expiring:1", "key.expired"]);
    const expiring = receiver.events().find((e) => e.data.key_id === id && e.type === "key.expiring");
    if (!key?.expireTime) throw new Error("no expiry");
    expect(expiring?.data.expire_time).toBe(timestampDate(key.expireTime).toISOString());
  });

  it("a key created inside both thresholds is warned only at the nearest", async () => {
    const { key } = await admin.createKey({
      name: "half-day",
      scopes: ["x:read"],
      ttl: { seconds: BigInt(12 * 3600) },
    });
    const id = key?.id as string;
    await scanEverywhere();
    await scanEverywhere();
    await receiver.waitFor(() => notices(id).length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(notices(id)).toEqual(["expiring:1"]);
  });

  it("revoked keys and keys rotated away are not warned", async () => {
    const { key: revoked } = await admin.createKey({
      name: "revoked",
      scopes: ["x:read"],
      ttl: { seconds: 3600n },
    });
    await admin.revokeKey({ keyId: revoked?.id as string, reason: "gone" });
    const { key: old } = await admin.createKey({ name: "rotated", scopes: ["x:read"] });
    await admin.rotateKey({ keyId: old?.id as string });
    await scanEverywhere();
    offset += 2 * DAY;
    await scanEverywhere();
    await new Promise((r) => setTimeout(r, 300));
    expect(notices(revoked?.id as string)).toEqual([]);
    expect(notices(old?.id as string)).toEqual([]);
  });
});
