import { randomBytes } from "node:crypto";
import { Authorizer } from "./authz/authorizer.js";
import { CheckService } from "./authz/check-service.js";
import { ForwardAuth } from "./authz/forward/forward-handler.js";
import { KeyCache } from "./authz/key-cache.js";
import { KeyVerifier } from "./authz/key-verifier.js";
import { UnknownKeyGuard } from "./authz/unknown-key-guard.js";
import type { Config } from "./config.js";
import type { KeyHasher } from "./keys/hasher.js";
import type { WriteDeps } from "./lifecycle/write-deps.js";
import { createLogger, type Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { createEvents, type EventServices } from "./notify/event-services.js";
import { RateLimiter } from "./ratelimit/rate-limiter.js";
import { RedisLimiter } from "./ratelimit/redis-limiter.js";
import { PageTokens } from "./rpc/page-token.js";
import { AuditRepository } from "./store/audit-repository.js";
import type { Database } from "./store/database.js";
import { DatabaseHealth } from "./store/database-health.js";
import { embeddedDataDir } from "./store/database-target.js";
import { DeliveryRepository } from "./store/delivery-repository.js";
import { KeyRepository } from "./store/key-repository.js";
import { openStore } from "./store/open-store.js";
import { RetentionRepository } from "./store/retention-repository.js";
import { TrafficRepository } from "./store/traffic-repository.js";
import { UserRepository } from "./store/user-repository.js";
import { WebhookRepository } from "./store/webhook-repository.js";
import { RetentionSweeper } from "./usage/retention.js";
import { TrafficRecorder } from "./usage/traffic-recorder.js";

/**
 * Everything the servers and their handlers share, built once from the config and never changed afterwards:
 * the store and its repositories, the key cache and verifier, the Check service, metrics, usage recording.
 * Admin handlers and the authz listener see this same shape.
 */
export interface AppContext extends WriteDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly now: () => number;
  readonly keyPrefix: string;
  readonly database: Database;
  readonly keys: KeyRepository;
  readonly audit: AuditRepository;
  readonly users: UserRepository;
  readonly hasher: KeyHasher;
  readonly metrics: Metrics;
  /** Whether the database answers, as calls find out; Checks and admin calls fail fast while it is down. */
  readonly databaseHealth: DatabaseHealth;
  /** Verified keys of this replica; follows the change feed once the app runs. */
  readonly cache: KeyCache;
  readonly verifier: KeyVerifier;
  /** Verifies admin API credentials, counted apart from Check lookups. */
  readonly adminVerifier: KeyVerifier;
  readonly check: CheckService;
  /** HTTP forward auth (nginx, Caddy, Traefik): the same pipeline as Check. */
  readonly forward: ForwardAuth;
  /** Usage and authentication audit, gathered in memory and written in batches. */
  readonly traffic: TrafficRecorder;
  readonly trafficStore: TrafficRepository;
  /** Deletes auth events and usage older than KEYWARD_RETENTION; null when retention is off. */
  readonly retention: RetentionSweeper | null;
  readonly pageTokens: PageTokens;
  /** Webhook endpoints and their deliveries. */
  readonly webhooks: WebhookRepository;
  readonly deliveries: DeliveryRepository;
  /** The delivery worker and the expiry and alert scans; the app starts and stops them. */
  readonly events: EventServices;
  /** The local CLI's admin credential, when the server keeps an embedded data dir; null otherwise. */
  readonly localToken: string | null;
  /** Closes what the context opened: Redis, the database, the data dir's lock. */
  close(): Promise<void>;
}

/** Replacements for tests and tools. */
export interface ContextOverrides {
  now?: () => number;
  logger?: Logger;
  /** The PostgreSQL schema to use instead of the configured one (a test suite's own). */
  schema?: string | undefined;
}

/** Builds the context; see `AppContext`. */
export const AppContext = {
  async fromConfig(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
    const logger = overrides.logger ?? createLogger(config.logLevel);
    for (const warning of config.unknownSettings) logger.warn(warning);
    const now = overrides.now ?? Date.now;
    const target =
      config.store.kind === "postgres" && overrides.schema !== undefined
        ? { ...config.store, schema: overrides.schema }
        : config.store;
    const metrics = new Metrics();
    const cache = new KeyCache({
      maxEntries: config.cacheSize,
      ttlMs: config.cacheTtlMs,
      negativeTtlMs: 2000,
      maxNegative: 10_000,
      now,
      staleMs: config.staleIfErrorMs,
    });
    // The worker needs the open store, and the store wakes the worker after commits that queue deliveries.
    let events: EventServices | undefined;
    const store = await openStore({
      target,
      peppers: config.peppers,
      logger,
      keyChanged: (id) => cache.invalidate(id),
      eventsQueued: () => events?.wake(),
    });
    const { database, hasher } = store;
    const databaseHealth = new DatabaseHealth({ probe: () => database.ping(1000), now, logger });
    metrics.databaseUp.set(1);
    databaseHealth.on("change", (down) => metrics.databaseUp.set(down ? 0 : 1));
    events = createEvents({ database, config, now, logger }, metrics.registry);
    const keys = new KeyRepository(database.db);
    const trafficStore = new TrafficRepository(database);
    const traffic = new TrafficRecorder({ sink: trafficStore, metrics, logger });
    const guard = config.unknownKeyLimit ? new UnknownKeyGuard(config.unknownKeyLimit, now) : undefined;
    const verifying = {
      keys,
      hasher,
      prefix: config.keyPrefix,
      cache,
      guard,
      faults: {
        health: databaseHealth,
        timeoutMs: config.lookupTimeoutMs ?? database.boundsMs.lookup,
        staleIfErrorMs: config.staleIfErrorMs,
        now,
      },
    };
    const verifier = new KeyVerifier({ ...verifying, observe: metrics.lookupObserver() });
    const redis = config.redisUrl ? new RedisLimiter(config.redisUrl) : null;
    const limiter = new RateLimiter({ defaultLimit: config.defaultRateLimit, redis, now, logger, metrics });
    // One pipeline, one limiter, one recorder: Check and forward auth differ only at their edges.
    const authorizer = new Authorizer({ verifier, limiter, now, logger, metrics, traffic });
    return {
      config,
      logger,
      now,
      keyPrefix: config.keyPrefix,
      database,
      keys,
      audit: new AuditRepository(database.db),
      users: new UserRepository(database.db),
      hasher,
      metrics,
      databaseHealth,
      cache,
      verifier,
      // Same cache, own counter: admin traffic must not blur the Check path's lookup figures.
      adminVerifier: new KeyVerifier({
        ...verifying,
        observe: metrics.lookupObserver(metrics.adminKeyLookups),
      }),
      check: new CheckService({ authorizer, companyHeader: config.companyHeader }),
      forward: new ForwardAuth({
        authorizer,
        companyHeader: config.companyHeader,
        trustedProxies: config.trustedProxies,
        logger,
        metrics,
      }),
      traffic,
      trafficStore,
      retention:
        config.retentionMs === null
          ? null
          : new RetentionSweeper(
              new RetentionRepository(database),
              { retentionMs: config.retentionMs, now },
              logger,
            ),
      pageTokens: new PageTokens(hasher.current.secret),
      webhooks: new WebhookRepository(database.db),
      deliveries: new DeliveryRepository(database.db),
      events,
      localToken: embeddedDataDir(config.store) ? randomBytes(32).toString("base64url") : null,
      async close() {
        databaseHealth.stop();
        await redis?.close();
        await store.close();
      },
    };
  },
};
