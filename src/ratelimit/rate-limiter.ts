import type { RateLimitSpec } from "../keys/key-record.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { LimitResult } from "./gcra.js";
import { LocalLimiter } from "./local-limiter.js";
import type { RedisLimiter } from "./redis-limiter.js";

/**
 * Applies each key's limit (or the configured default): globally on Redis when configured, per replica
 * otherwise. When Redis fails the request is limited locally instead of failing, and the switch is logged
 * once and counted.
 */
export class RateLimiter {
  private readonly local: LocalLimiter;
  private degraded = false;

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
    if (redis.ready) {
      try {
        const result = await redis.take(keyId, spec);
        if (this.degraded) {
          this.degraded = false;
          this.deps.metrics.rateLimitDegraded.set(0);
          this.deps.logger.info("rate limits are global again (Redis is back)");
        }
        return result;
      } catch (err) {
        this.degrade(err);
      }
    } else {
      this.degrade(new Error("redis not connected"));
    }
    this.deps.metrics.rateLimitFallbacks.inc();
    return this.local.take(keyId, spec);
  }

  private degrade(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.deps.metrics.rateLimitDegraded.set(1);
    this.deps.logger.warn({ err }, "Redis unavailable: rate limits fall back to per-replica limits");
  }
}
