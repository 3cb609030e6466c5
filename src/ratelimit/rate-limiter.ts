import type { RateLimitSpec } from "../keys/key-record.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { type BreakerMode, CircuitBreaker } from "./circuit-breaker.js";
import type { LimitResult } from "./gcra.js";
import { LocalLimiter } from "./local-limiter.js";
import type { RedisLimiter } from "./redis-limiter.js";

const MODES: readonly BreakerMode[] = ["global", "local", "probing"];

/**
 * Applies each key's limit (or the configured default): globally on Redis when configured, per replica
 * otherwise. When Redis fails the request is limited locally instead of failing, and the switch is logged
 * once and counted; after a few failures in a row a circuit breaker stops asking Redis for a while, so a hung
 * Redis does not add its timeout to every Check.
 */
export class RateLimiter {
  private readonly local: LocalLimiter;
  private degraded = false;
  private readonly breaker: CircuitBreaker;
  private reportedMode: BreakerMode | undefined;

  constructor(
    private readonly deps: {
      defaultLimit: RateLimitSpec | null;
      redis: RedisLimiter | null;
      now: () => number;
      logger: Logger;
      metrics: Metrics;
    },
  ) {
    this.local = new LocalLimiter(deps.now);
    this.breaker = new CircuitBreaker({ failures: 3, openMs: 2000, now: deps.now });
    if (deps.redis) this.reportMode();
  }

  /** The limit that applies to a key, or null for none. */
  policy(keyLimit: RateLimitSpec | null): RateLimitSpec | null {
    return keyLimit ?? this.deps.defaultLimit;
  }

  /** One request's worth of `keyId`'s budget: synchronous per replica, a promise when Redis decides. */
  take(keyId: string, spec: RateLimitSpec): LimitResult | Promise<LimitResult> {
    const redis = this.deps.redis;
    if (!redis) return this.local.take(keyId, spec);
    return this.takeGlobal(redis, keyId, spec);
  }

  private async takeGlobal(redis: RedisLimiter, keyId: string, spec: RateLimitSpec): Promise<LimitResult> {
    if (redis.ready && this.breaker.allow()) {
      this.reportMode();
      try {
        const result = await redis.take(keyId, spec);
        this.breaker.success();
        this.reportMode();
        if (this.degraded) {
          this.degraded = false;
          this.deps.metrics.rateLimitDegraded.set(0);
          this.deps.logger.info("rate limits are global again (Redis is back)");
        }
        return result;
      } catch (err) {
        this.breaker.failure();
        this.deps.metrics.redisTimeouts.inc();
        this.degrade(err);
      }
    } else if (!redis.ready) {
      this.degrade(new Error("redis not connected"));
    }
    this.reportMode();
    this.deps.metrics.rateLimitFallbacks.inc();
    return this.local.take(keyId, spec);
  }

  /** Which mode limits are in, for `keyward_ratelimit_mode`. */
  get mode(): BreakerMode {
    return this.deps.redis?.ready === false ? "local" : this.breaker.mode;
  }

  private reportMode(): void {
    const mode = this.mode;
    if (mode === this.reportedMode) return;
    if (this.reportedMode !== undefined) this.deps.logger.info({ mode }, "rate-limit mode changed");
    this.reportedMode = mode;
    for (const m of MODES) this.deps.metrics.rateLimitMode.set({ mode: m }, m === mode ? 1 : 0);
  }

  private degrade(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.deps.metrics.rateLimitDegraded.set(1);
    this.deps.logger.warn({ err }, "Redis unavailable: rate limits fall back to per-replica limits");
  }
}
