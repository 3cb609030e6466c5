import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import pg from "pg";
import {
  dropSchema,
  freshSchema,
  startTestApp,
  TEST_DATABASE,
  TEST_DATABASE_URL,
  type TestApp,
  type TestAppOptions,
} from "./test-app.js";

/** A PostgreSQL database of its own on the test server (for processes, which have no schema setting). */
export interface TestDatabase {
  name: string;
  url: string;
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<R[]>;
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the test server; `drop` removes it even while clients are connected. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await onServer(`create database ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async query(text, params = []) {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query(text, params)).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => onServer(`drop database if exists ${name} with (force)`),
  };
}

async function onServer(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * The local TCP ports of the sockets process `pid` holds open (Linux /proc), so a test can find that process's
 * connections in pg_stat_activity by client_port and leave other processes' connections alone.
 */
export function localTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      const local = cols[1];
      const inode = cols[9];
      if (local && inode && inodes.has(inode)) ports.push(Number.parseInt(local.split(":")[1] as string, 16));
    }
  }
  return ports;
}

/** Two apps that serve the same keys, as two replicas do. */
export interface ReplicaPair {
  a: TestApp;
  b: TestApp;
  /** Creates a key that both replicas know. */
  mintKey(spec: Parameters<TestApp["mintKey"]>[0]): Promise<{ secret: string; id: string }>;
  close(): Promise<void>;
}

/**
 * Two in-process apps with one pepper. On PostgreSQL they share a schema. On PGlite each has its own in-memory
 * database (one engine cannot be shared), and a key minted on A is copied row for row into B's store: the
 * replicas then know the same key, which is all that shared state (a Redis budget) needs.
 */
export async function startReplicaPair(options: TestAppOptions = {}): Promise<ReplicaPair> {
  const env = { KEYWARD_PEPPER: randomBytes(32).toString("hex"), ...options.env };
  const schema = TEST_DATABASE === "postgres" ? freshSchema() : undefined;
  const a = await startTestApp({ ...options, env, ...(schema ? { schema } : {}) });
  const b = await startTestApp({ ...options, env, ...(schema ? { schema } : {}) }).catch(async (err) => {
    await a.close();
    throw err;
  });
  return {
    a,
    b,
    async mintKey(spec) {
      const minted = await a.mintKey(spec);
      if (!schema) await copyKeyRow(a, b, minted.id);
      return minted;
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
      if (schema) await dropSchema(schema);
    },
  };
}

async function copyKeyRow(from: TestApp, to: TestApp, id: string): Promise<void> {
  const row = await from.app.ctx.database.db
    .selectFrom("keys")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const values: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === "revision") continue;
    const json =
      value !== null &&
      typeof value === "object" &&
      !(value instanceof Date) &&
      !(value instanceof Uint8Array) &&
      !Array.isArray(value);
    values[column] = json ? JSON.stringify(value) : value;
  }
  await to.app.ctx.database.db
    .insertInto("keys")
    .values(values as never)
    .execute();
}
