import { randomBytes } from "node:crypto";
import { startAdminServer } from "./admin/admin-server.js";
import { adminAuthInterceptor } from "./admin/authenticate.js";
import type { DualListener } from "./admin/dual-listener.js";
import { keyAdminService } from "./admin/key-admin-service.js";
import { observeInterceptor } from "./admin/observe.js";
import { PageTokens } from "./admin/page-token.js";
import { AuthzServer } from "./authz/authz-server.js";
import { CheckService } from "./authz/check-service.js";
import { KeyCache } from "./authz/key-cache.js";
import { KeyVerifier } from "./authz/key-verifier.js";
import { UnknownKeyGuard } from "./authz/unknown-key-guard.js";
import type { Config } from "./config.js";
import { Authorization } from "./gen/envoy/service/auth/v3/external_auth_pb.js";
import { Health } from "./gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { KeyAdminService } from "./gen/keyward/admin/v1/key_admin_pb.js";
import { KeyHasher, makePepper } from "./keys/hasher.js";
import type { Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { RateLimiter } from "./ratelimit/rate-limiter.js";
import { RedisLimiter } from "./ratelimit/redis-limiter.js";
import { HealthState, ServingStatus } from "./rpc/health.js";
import { ReflectionIndex } from "./rpc/reflection.js";
import { AuditRepository } from "./store/audit-repository.js";
import { openChangeFeed } from "./store/change-feed.js";
import { dataDirPepper, lockDataDir, writeServerHandle } from "./store/data-dir.js";
import { Database } from "./store/database.js";
import { KeyRepository } from "./store/key-repository.js";
import { TrafficRepository } from "./store/traffic-repository.js";
import { UserRepository } from "./store/user-repository.js";
import { TrafficRecorder } from "./usage/traffic-recorder.js";

/** Everything the servers and commands share, built once from the config. */
export interface AppContext {
  config: Config;
  logger: Logger;
  database: Database;
  keys: KeyRepository;
  audit: AuditRepository;
  users: UserRepository;
  hasher: KeyHasher;
  verifier: KeyVerifier;
  now: () => number;
  /**
   * Called after a transaction that changed a key commits, so this replica's cache drops it at once; other
   * replicas hear of it through the change feed.
   */
  keyChanged: (keyId: string) => void;
}

/** Replacements for tests. */
export interface ContextOverrides {
  now?: () => number;
}

/**
 * Opens the store (taking the data dir for this process when it is embedded), settles the pepper and
 * migrates. The returned `release` closes the database and frees the data dir.
 */
export async function createContext(
  config: Config,
  logger: Logger,
  overrides: ContextOverrides = {},
): Promise<{ ctx: AppContext; release: () => Promise<void> }> {
  const store = config.store;
  const unlock = store.kind === "pglite" && store.dataDir ? lockDataDir(store.dataDir) : () => {};
  try {
    const peppers = config.peppers.length > 0 ? config.peppers : [embeddedPepper(config, logger)];
    const database = await Database.open(store);
    try {
      const applied = await database.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, "database migrated");
    } catch (err) {
      await database.close();
      throw err;
    }
    const hasher = new KeyHasher(peppers.map(makePepper));
    const keys = new KeyRepository(database.db);
    const ctx: AppContext = {
      config,
      logger,
      database,
      keys,
      audit: new AuditRepository(database.db),
      users: new UserRepository(database.db),
      hasher,
      verifier: new KeyVerifier(keys, hasher, config.keyPrefix),
      now: overrides.now ?? Date.now,
      keyChanged: () => {},
    };
    return {
      ctx,
      release: async () => {
        await database.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

function embeddedPepper(config: Config, logger: Logger): Buffer {
  const store = config.store;
  if (store.kind !== "pglite") throw new Error("a pepper is required with an external database");
  if (!store.dataDir) {
    logger.warn("no KEYWARD_PEPPER set: using a throwaway pepper for this in-memory store");
    return makeThrowawayPepper();
  }
  const { secret, created } = dataDirPepper(store.dataDir);
  if (created) {
    logger.warn(
      { dataDir: store.dataDir },
      "no KEYWARD_PEPPER set: generated one and kept it in the data dir; set KEYWARD_PEPPER_FILE in production",
    );
  }
  return secret;
}

function makeThrowawayPepper(): Buffer {
  return randomBytes(32);
}

/** The running service: both listeners over one context. */
export class App {
  private constructor(
    readonly ctx: AppContext,
    readonly authz: AuthzServer,
    readonly admin: DualListener,
    readonly health: HealthState,
    readonly traffic: TrafficRecorder,
    /** The Check decision service behind the authz listener. */
    readonly check: CheckService,
    private readonly cleanups: (() => Promise<void> | void)[],
  ) {}

  /** Builds the context and starts both listeners. */
  static async start(config: Config, logger: Logger, overrides: ContextOverrides = {}): Promise<App> {
    const { ctx, release } = await createContext(config, logger, overrides);
    const cleanups: (() => Promise<void> | void)[] = [release];
    try {
      const metrics = new Metrics();
      const trafficStore = new TrafficRepository(ctx.database);
      const traffic = new TrafficRecorder(trafficStore, metrics, logger);
      traffic.start(1000);
      cleanups.unshift(() => traffic.stop());
      const health = new HealthState([Authorization.typeName, KeyAdminService.typeName]);
      const cache = new KeyCache({
        maxEntries: config.cacheSize,
        ttlMs: config.cacheTtlMs,
        negativeTtlMs: 2000,
        maxNegative: 10_000,
        now: ctx.now,
      });
      const feed = await openChangeFeed(
        ctx.database,
        {
          onChange: (id) => cache.invalidate(id),
          onConnected: () => {
            cache.clear();
            cache.enabled = config.cacheSize > 0;
            metrics.changeFeedConnected.set(1);
          },
          onDisconnected: () => {
            cache.enabled = false;
            cache.clear();
            metrics.changeFeedConnected.set(0);
          },
        },
        logger,
      );
      cleanups.unshift(() => feed.stop());
      ctx.keyChanged = (id) => cache.invalidate(id);
      const lookups = {
        malformed: metrics.cacheEvents.cell("malformed"),
        hit: metrics.cacheEvents.cell("hit"),
        negative_hit: metrics.cacheEvents.cell("negative_hit"),
        query: metrics.cacheEvents.cell("query"),
        throttled: metrics.cacheEvents.cell("throttled"),
      };
      const guard = config.unknownKeyLimit ? new UnknownKeyGuard(config.unknownKeyLimit, ctx.now) : undefined;
      const verifier = new KeyVerifier(
        ctx.keys,
        ctx.hasher,
        config.keyPrefix,
        cache,
        (e) => {
          lookups[e].n++;
        },
        guard,
      );
      const redis = config.redisUrl ? new RedisLimiter(config.redisUrl) : null;
      if (redis) cleanups.unshift(() => redis.close());
      const limiter = new RateLimiter({
        defaultLimit: config.defaultRateLimit,
        redis,
        now: ctx.now,
        logger,
        metrics,
      });
      const check = new CheckService({
        verifier,
        limiter,
        facts: { companyHeader: config.companyHeader },
        now: ctx.now,
        logger,
        metrics,
        traffic,
      });
      const authz = await AuthzServer.start({
        listen: config.authzListen,
        check,
        health,
        reflection: new ReflectionIndex([Authorization, Health, ServerReflection]),
        logger,
        metrics,
      });
      cleanups.unshift(() => authz.close());
      const localToken =
        config.store.kind === "pglite" && config.store.dataDir ? randomBytes(32).toString("base64url") : null;
      const adminCtx = {
        ...ctx,
        pageTokens: new PageTokens(ctx.hasher.current.secret),
        traffic,
        trafficStore,
      };
      const admin = await startAdminServer({
        listen: config.adminListen,
        keyAdmin: keyAdminService(adminCtx),
        interceptors: [
          observeInterceptor(metrics, logger),
          adminAuthInterceptor({ verifier, localToken, dev: config.dev, now: ctx.now }),
        ],
        health,
        reflection: new ReflectionIndex([KeyAdminService, Health, ServerReflection]),
        metrics,
        ready: async () => {
          await ctx.database.ping();
          return ctx.database.isMigrated();
        },
        adminAuth: config.dev ? "dev" : "on",
        logger,
      });
      cleanups.unshift(() => admin.close());
      if (localToken && config.store.kind === "pglite" && config.store.dataDir) {
        const host = config.adminListen.host;
        const adminUrl = `http://${host.includes(":") ? `[${host}]` : host}:${admin.port}`;
        cleanups.unshift(
          writeServerHandle(config.store.dataDir, { pid: process.pid, adminUrl, token: localToken }),
        );
      }
      if (config.dev) logger.warn("--dev: the admin API accepts calls WITHOUT an admin key (loopback only)");
      health.setAll(ServingStatus.SERVING);
      logger.info(
        {
          authz: `${config.authzListen.host}:${authz.port}`,
          admin: `${config.adminListen.host}:${admin.port}`,
        },
        "keyward serving",
      );
      return new App(ctx, authz, admin, health, traffic, check, cleanups);
    } catch (err) {
      await runAll(cleanups);
      throw err;
    }
  }

  /** Graceful stop: report not serving, stop accepting, finish in-flight calls, flush, close the store. */
  async destroy(): Promise<void> {
    this.health.setAll(ServingStatus.NOT_SERVING);
    await runAll(this.cleanups.splice(0));
  }
}

async function runAll(steps: (() => Promise<void> | void)[]): Promise<void> {
  for (const step of steps) await step();
}
