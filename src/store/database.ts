import { Kysely, Migrator, sql } from "kysely";
import type { DatabaseTarget } from "./database-target.js";
import { withDeadline } from "./db-errors.js";
import type { EmbeddedEngine } from "./embedded-engine.js";
import { migrationProvider } from "./migrations/index.js";
import type { DatabaseSchema } from "./schema/index.js";
import { SchemaScopedPostgresDialect } from "./schema-introspector.js";
import { CommitHooks, type Tx } from "./transaction.js";

/** What the database tells the rest of the process. */
export interface DatabaseOptions {
  /** A committed transaction changed this key: this replica's caches drop it at once. */
  keyChanged?: (keyId: string) => void;
  /** A committed transaction published webhook events: this replica's worker sends them at once. */
  eventsQueued?: () => void;
}

/** Owns the connection pool (or the embedded engine), the migrator and transactions. */
export class Database {
  private constructor(
    readonly db: Kysely<DatabaseSchema>,
    readonly target: DatabaseTarget,
    private readonly onClose: () => Promise<void>,
    private readonly options: DatabaseOptions,
    /** The embedded engine, when there is one (for its own LISTEN). */
    readonly embedded?: EmbeddedEngine,
    /** Whether opening made a new embedded store: no database was in the data dir. */
    readonly createdDataDir = false,
  ) {}

  /** Opens the store; nothing is migrated until `migrate()`. */
  static async open(target: DatabaseTarget, options: DatabaseOptions = {}): Promise<Database> {
    if (target.kind === "postgres") return Database.openPostgres(target.url, target.schema, options);
    const { EmbeddedEngine } = await import("./embedded-engine.js");
    const { PGliteDialect } = await import("./pglite-dialect.js");
    const engine = await EmbeddedEngine.open(target.dataDir);
    const db = new Kysely<DatabaseSchema>({ dialect: new PGliteDialect(engine) });
    return new Database(
      db,
      target,
      async () => {
        await db.destroy();
        await engine.close();
      },
      options,
      engine,
      engine.created && target.dataDir !== null,
    );
  }

  private static async openPostgres(
    url: string,
    schema: string | undefined,
    options: DatabaseOptions,
  ): Promise<Database> {
    // Loaded here, as PGlite is: a command on the embedded store need not load the PostgreSQL client.
    const { default: pg } = await import("pg");
    // Idle connections are kept a while: a Check that must open one first spends part of its 100 ms on it.
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      idleTimeoutMillis: 60_000,
      ...POSTGRES_BOUNDS,
    });
    // Pool errors on idle clients (a restarted server) must not crash the process; the next query reconnects.
    pool.on("error", () => {});
    pool.on("connect", (client) => {
      // pg-pool listens for errors only on idle clients: one that dies while checked out (in a transaction,
      // during the usage flush) would emit an unhandled "error" and end the process. The call that holds it
      // fails instead, and the pool drops the broken client when it is released.
      client.on("error", () => {});
      if (schema) client.query(`set search_path to ${quoteIdent(schema)}`).catch(() => {});
    });
    const db = new Kysely<DatabaseSchema>({
      dialect: new SchemaScopedPostgresDialect({ pool }, schema ?? "public"),
    });
    return new Database(db, { kind: "postgres", url, schema }, () => db.destroy(), options);
  }

  /**
   * How long a Check's key lookup and a readiness probe may wait. PostgreSQL can hang apart from this process:
   * a lookup gets 100 ms (Envoy's own Check timeout is 200 ms). Embedded PGlite cannot, but serializes every
   * caller on its one connection, so a lookup may queue behind a write: 10 s is a backstop, not a budget.
   */
  get boundsMs(): { lookup: number; readiness: number } {
    return this.target.kind === "postgres"
      ? { lookup: 100, readiness: 1000 }
      : { lookup: 10_000, readiness: 10_000 };
  }

  /** The schema Keyward's tables live in. */
  get schema(): string {
    return this.target.kind === "postgres" ? (this.target.schema ?? "public") : "public";
  }

  /**
   * Brings the schema up to date. Safe when several replicas start at once: kysely's migrator holds a
   * PostgreSQL advisory lock while it runs, so one replica migrates and the others find nothing left to do.
   */
  async migrate(): Promise<string[]> {
    // Every start asks; the usual answer is "nothing to do", found without the migrator's catalog scans.
    if (await this.isMigrated()) return [];
    if (this.schema !== "public") {
      await sql`create schema if not exists ${sql.id(this.schema)}`.execute(this.db).catch(async (err) => {
        // Two replicas creating the same schema at once: the loser sees a unique violation, and the schema exists.
        if (!(await this.schemaExists())) throw err;
      });
    }
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider,
      migrationTableSchema: this.schema,
    });
    // The migrator finds its own tables by introspection, which the dialect confines to this schema: tables
    // other deployments drop meanwhile cannot fail it (see SchemaIntrospector).
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  }

  /**
   * Whether every migration has been applied. Read straight from the migrator's table: kysely's own check
   * introspects every table and column first, which costs about a second on a cold embedded engine.
   */
  async isMigrated(): Promise<boolean> {
    const table = `${quoteIdent(this.schema)}.kysely_migration`;
    const { rows: found } = await sql<{ present: boolean }>`
      select to_regclass(${table}) is not null as present
    `.execute(this.db);
    if (!found[0]?.present) return false;
    const { rows } = await sql<{
      name: string;
    }>`select name from ${sql.table(`${this.schema}.kysely_migration`)}`.execute(this.db);
    const applied = new Set(rows.map((r) => r.name));
    return Object.keys(await migrationProvider.getMigrations()).every((name) => applied.has(name));
  }

  private async schemaExists(): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.schemata where schema_name = ${this.schema}
    `.execute(this.db);
    return (rows[0]?.n ?? 0) > 0;
  }

  /**
   * Runs `fn` in one transaction with the repositories bound to it: the change and its audit event commit
   * together or not at all. Once it commits, the keys it changed leave this replica's caches and the hooks
   * `fn` registered with `onCommit` run.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const hooks = new CommitHooks(this.options.keyChanged ?? (() => {}), this.options.eventsQueued);
    const result = await this.db.transaction().execute((trx) => fn(hooks.bind(trx)));
    hooks.run();
    return result;
  }

  /** Answers when the database does, or rejects after `timeoutMs`. */
  async ping(timeoutMs = 1000): Promise<void> {
    await withDeadline(sql`select 1`.execute(this.db), timeoutMs, "database ping");
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

/**
 * Every wait on PostgreSQL is bounded: a connection attempt (a frozen or black-holed server accepts nothing
 * and refuses nothing), a statement (the server cancels it), the reply (the client gives up if even the
 * cancellation never comes back), a transaction left idle by a stalled caller; TCP keepalive finds a peer
 * that vanished without closing the connection.
 */
export const POSTGRES_BOUNDS = {
  connectionTimeoutMillis: 1000,
  statement_timeout: 5000,
  query_timeout: 6000,
  idle_in_transaction_session_timeout: 10_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 5000,
} as const;

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
