import { Counter, Histogram, Registry } from "prom-client";

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
    help: "Time to decide one Check, from request decoded to response built.",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });

  readonly adminCalls = new Counter({
    name: "keyward_admin_calls_total",
    help: "KeyAdmin calls by method and result code.",
    labelNames: ["method", "code"] as const,
    registers: [this.registry],
  });
}
