import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The Prometheus metrics Keyward exports on the admin listener's /metrics. */
export class Metrics {
  readonly registry = new Registry();

  /** Check decisions by outcome: "allow" or the denial code. */
  readonly checks = new Counter({
    name: "keyward_checks_total",
    help: "ext_authz Check decisions by outcome (allow or the denial code).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  /** Checks that failed with an RPC error (database unreachable and the like). */
  readonly checkErrors = new Counter({
    name: "keyward_check_errors_total",
    help: "ext_authz Checks answered with an RPC error because of a fault.",
    registers: [this.registry],
  });

  readonly checkSeconds = new Histogram({
    name: "keyward_check_duration_seconds",
    help: "Time to decide one Check, from request decoded to response built (one Check in eight is sampled).",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });

  readonly adminCalls = new Counter({
    name: "keyward_admin_calls_total",
    help: "KeyAdmin calls by method and result code.",
    labelNames: ["method", "code"] as const,
    registers: [this.registry],
  });

  readonly rateLimitFallbacks = new Counter({
    name: "keyward_ratelimit_fallbacks_total",
    help: "Rate-limit decisions made locally because Redis was unavailable.",
    registers: [this.registry],
  });

  readonly rateLimitDegraded = new Gauge({
    name: "keyward_ratelimit_degraded",
    help: "1 while Redis is unavailable and rate limits are enforced per replica.",
    registers: [this.registry],
  });

  readonly cacheEvents = new Counter({
    name: "keyward_key_lookups_total",
    help: "How presented credentials were resolved: malformed (refused offline), hit, negative_hit, query (database).",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });

  readonly changeFeedConnected = new Gauge({
    name: "keyward_change_feed_connected",
    help: "1 while the key change feed (LISTEN) is connected; the key cache is bypassed while it is 0.",
    registers: [this.registry],
  });

  readonly trafficDropped = new Counter({
    name: "keyward_traffic_records_dropped_total",
    help: "Usage and authentication-audit records dropped because the in-memory buffer was full.",
    registers: [this.registry],
  });

  readonly trafficFlushes = new Counter({
    name: "keyward_traffic_flushes_total",
    help: "Batched writes of usage and authentication audit, by result.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
}
