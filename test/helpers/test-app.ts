import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import pg from "pg";
import { App } from "../../src/app.js";
import { type Config, loadConfig } from "../../src/config.js";
import { AppContext } from "../../src/context.js";
import type { KeySpec } from "../../src/keys/mint.js";
import { createKey } from "../../src/lifecycle/create-key.js";
import { defaultKeySpec } from "../../src/lifecycle/key-spec.js";
import { createLogger } from "../../src/logger.js";

/** A key spec with every setting not given at its default (no scopes, live, no expiry, no limits). */
export const keySpec = defaultKeySpec;

/** Which database the integration suites run on: PGlite unless KEYWARD_TEST_DATABASE=postgres. */
export const TEST_DATABASE = process.env.KEYWARD_TEST_DATABASE === "postgres" ? "postgres" : "pglite";
export const TEST_DATABASE_URL =
  process.env.KEYWARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A running app on free ports, a fresh database, and every log line it wrote. */
export interface TestApp {
  app: App;
  config: Config;
  /** `127.0.0.1:port` of the authz (Check) listener. */
  authzAddress: string;
  /** `http://127.0.0.1:port` of the admin listener. */
  adminUrl: string;
  /** Every log line, raw JSON text. */
  logs: string[];
  /** Creates a key straight in the store (as `keyward keygen` does) and returns its secret and id. */
  mintKey(spec: Partial<KeySpec> & { companyId: string }): Promise<{ secret: string; id: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  dev?: boolean;
  now?: () => number;
  /** Extra KEYWARD_* settings. */
  env?: Record<string, string>;
  /** Reuse a PostgreSQL schema (for several replicas on one database); a fresh one otherwise. */
  schema?: string;
}

/** A fresh schema name for one suite on the shared PostgreSQL test database. */
export function freshSchema(): string {
  return `t_${randomBytes(6).toString("hex")}`;
}

/** Starts the real app on 127.0.0.1 with free ports, on PGlite (in memory) or on its own PostgreSQL schema. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const schema = TEST_DATABASE === "postgres" ? (options.schema ?? freshSchema()) : undefined;
  const env: Record<string, string> = {
    KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0",
    KEYWARD_ADMIN_LISTEN: "127.0.0.1:0",
    KEYWARD_PEPPER: randomBytes(32).toString("hex"),
    KEYWARD_DATABASE_URL: TEST_DATABASE === "postgres" ? TEST_DATABASE_URL : "memory://",
    KEYWARD_LOG_LEVEL: "debug",
    // The 100 ms bound of a key lookup is for production; a test machine shared by many may be slower than
    // that without anything being down (test/faults checks the bound itself).
    KEYWARD_LOOKUP_TIMEOUT: "5s",
    ...options.env,
  };
  const config = loadConfig(env, { dev: options.dev });
  const logger = createLogger(config.logLevel, sink);
  const app = await App.start(
    await AppContext.fromConfig(config, { logger, schema, ...(options.now ? { now: options.now } : {}) }),
  );
  return {
    app,
    config,
    authzAddress: `127.0.0.1:${app.authz.port}`,
    adminUrl: `http://127.0.0.1:${app.admin.port}`,
    logs,
    async mintKey(spec) {
      const { key, secret } = await createKey(app.ctx, { spec: keySpec(spec), audit: { actor: "test" } });
      return { secret, id: key.id };
    },
    async close() {
      await app.destroy();
      if (schema && !options.schema) await dropSchema(schema);
    },
  };
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
