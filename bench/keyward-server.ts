/**
 * Child entry: the real Keyward app (both listeners) on free loopback ports, with one minted key. It loads
 * the built program (dist/, what `npm start` runs), not the TypeScript sources through tsx, whose transform
 * adds work to every call the shipped code does not do. Run by bench/run.ts through child-process.ts; not
 * meant to be started by hand.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { App } from "../dist/app.js";
import { loadConfig } from "../dist/config.js";
import { AppContext } from "../dist/context.js";
import type { KeySpec } from "../dist/keys/mint.js";
import { createKey } from "../dist/lifecycle/create-key.js";
import { defaultKeySpec } from "../dist/lifecycle/key-spec.js";
import { createLogger } from "../dist/logger.js";
import { childOptions, serveParent } from "./child-protocol.js";
import { measureFlushCost } from "./flush-cost.js";
import { measureStepCosts } from "./step-costs.js";

/** How the parent wants this replica. */
export interface KeywardServerOptions {
  /** A postgres:// URL; in-memory PGlite when absent. */
  databaseUrl?: string;
  /** PostgreSQL schema; replicas that share one pass the same name. A fresh one when absent. */
  schema?: string;
  /** Hex pepper; replicas of one deployment must share it. Random when absent. */
  pepper?: string;
  /** The key minted at startup. */
  key?: Partial<KeySpec>;
  /** Further KEYWARD_* settings. */
  env?: Record<string, string>;
}

/** What the parent learns when the replica listens. */
export interface KeywardServerInfo {
  authzPort: number;
  adminPort: number;
  keyId: string;
  secret: string;
  store: string;
  schema: string | null;
  pepper: string;
}

/** The key the bench authenticates with, unless the parent asks for another. */
const BENCH_KEY: KeySpec = defaultKeySpec({
  companyId: "acme",
  name: "bench",
  scopes: ["candidates:read", "candidates:write"],
});

await serveParent<KeywardServerInfo>(async () => {
  const options = childOptions<KeywardServerOptions>();
  const pepper = options.pepper ?? randomBytes(32).toString("hex");
  const ownSchema = options.databaseUrl && !options.schema ? `bench_${randomBytes(6).toString("hex")}` : null;
  const schema = options.schema ?? ownSchema;
  const config = loadConfig({
    KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0",
    KEYWARD_ADMIN_LISTEN: "127.0.0.1:0",
    KEYWARD_DATABASE_URL: options.databaseUrl ?? "memory://",
    KEYWARD_PEPPER: pepper,
    KEYWARD_LOG_LEVEL: "warn",
    ...options.env,
  });
  const logger = createLogger(config.logLevel, process.stderr);
  const app = await App.start(await AppContext.fromConfig(config, { logger, schema: schema ?? undefined }));
  const mint = async (partial: Partial<KeySpec> | null) => {
    const spec = { ...BENCH_KEY, ...partial };
    const { key, secret } = await createKey(app.ctx, { spec, audit: { actor: "bench" } });
    return { keyId: key.id, secret };
  };
  const first = await mint(options.key ?? null);
  return {
    info: {
      authzPort: app.authz.port,
      adminPort: app.admin.port,
      ...first,
      store: config.store.kind === "postgres" ? "postgresql" : "pglite (memory)",
      schema,
      pepper,
    },
    handlers: {
      mintKey: mint,
      stepCosts: async () => measureStepCosts(app.ctx.check, first.secret),
      flushCost: async ({ keys, flushes }: { keys: number; flushes: number }) =>
        measureFlushCost(app.ctx.traffic, first.keyId, keys, flushes),
    },
    async shutdown() {
      await app.destroy();
      if (ownSchema && options.databaseUrl) await dropSchema(options.databaseUrl, ownSchema);
    },
  };
});

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
