import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { LatencyHistogram } from "./latency-histogram.js";

/**
 * How a presented credential was resolved: refused offline (malformed), from the cache (hit, negative_hit),
 * with a database query, or refused unread because its source spent its budget of unknown keys (throttled).
 */
export const LOOKUP_EVENTS = ["malformed", "hit", "negative_hit", "query", "throttled", "stale"] as const;
export type LookupEvent = (typeof LOOKUP_EVENTS)[number];

/** One label value's count, bumped with a plain add on the hot path. */
export interface TallyCell {
  n: number;
}

/**
 * A labelled counter for the Check path. prom-client hashes the label set on every increment; here each set of
 * label values gets a cell the caller keeps and bumps with `cell.n++`, and the sums reach the Prometheus
 * counter when /metrics is scraped.
 */
export class Tally<Label extends string> {
  private readonly cells = new Map<string, { cell: TallyCell; labels: string[]; reported: number }>();
  readonly counter: Counter<string>;

  constructor(registry: Registry, name: string, help: string, labelNames: string | readonly string[]) {
    const cells = this.cells;
    const names = typeof labelNames === "string" ? [labelNames] : [...labelNames];
    this.counter = new Counter({
      name,
      help,
      labelNames: names,
      registers: [registry],
      collect() {
        for (const entry of cells.values()) {
          const delta = entry.cell.n - entry.reported;
          if (delta > 0) this.inc(Object.fromEntries(names.map((n, i) => [n, entry.labels[i] ?? ""])), delta);
          entry.reported = entry.cell.n;
        }
      },
    });
  }

  /** The cell for one set of label values, in label order: the same object every time, so callers keep it. */
  cell(label: Label, ...more: string[]): TallyCell {
    const id = more.length === 0 ? label : [label, ...more].join("\u0000");
    let entry = this.cells.get(id);
    if (!entry) {
      entry = { cell: { n: 0 }, labels: [label, ...more], reported: 0 };
      this.cells.set(id, entry);
    }
    return entry.cell;
  }
}

/** The Prometheus metrics Keyward exports on the admin listener's /metrics. */
export class Metrics {
  readonly registry = new Registry();

  constructor() {
    // Process and runtime: resident memory, CPU, heap, event-loop lag, GC pauses, handles.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Authorization decisions by outcome ("allow" or the denial code) and protocol (grpc or http). */
  readonly checks = new Tally<string>(
    this.registry,
    "keyward_checks_total",
    "Authorization decisions by outcome (allow or the denial code) and protocol (grpc: ext_authz Check; http: forward auth).",
    ["outcome", "protocol"],
  );

  /** Checks that failed with an RPC error (database unreachable and the like). */
  readonly checkErrors = new Counter({
    name: "keyward_check_errors_total",
    help: "Authorization requests answered with an error because of a fault (grpc: an RPC error; http: 503), by protocol.",
    labelNames: ["protocol"] as const,
    registers: [this.registry],
  });

  /** Time to decide each Check, by outcome: its count is the number of Checks. */
  readonly checkSeconds = new LatencyHistogram(
    this.registry,
    "keyward_check_duration_seconds",
    "Time to decide one authorization request, from request read to response built, by outcome (allow or the denial code) and protocol (grpc or http).",
    ["outcome", "protocol"],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  );

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

  readonly cacheEvents = new Tally<LookupEvent>(
    this.registry,
    "keyward_key_lookups_total",
    "How presented credentials were resolved: malformed (refused offline), hit, negative_hit, query (database), throttled (refused unread: the source spent its budget of unknown keys), stale (answered from the cache because the database failed: KEYWARD_STALE_IF_ERROR).",
    "event",
  );

  readonly databaseUp = new Gauge({
    name: "keyward_database_up",
    help: "1 while the database answers; 0 during an outage (Checks of uncached keys are UNAVAILABLE, health is NOT_SERVING).",
    registers: [this.registry],
  });

  readonly rateLimitMode = new Gauge({
    name: "keyward_ratelimit_mode",
    help: "1 for the mode rate limits are in: global (Redis), local (per replica: Redis failing, the circuit is open), probing (one request tries Redis again).",
    labelNames: ["mode"] as const,
    registers: [this.registry],
  });

  readonly redisTimeouts = new Counter({
    name: "keyward_ratelimit_redis_failures_total",
    help: "Rate-limit calls to Redis that failed or timed out (each cost a Check up to 100 ms).",
    registers: [this.registry],
  });

  /** Admin-key verifications on the admin API, apart from the Check path's lookups. */
  readonly adminKeyLookups = new Tally<LookupEvent>(
    this.registry,
    "keyward_admin_key_lookups_total",
    "How admin API credentials were resolved (same events as keyward_key_lookups_total, which counts Checks only).",
    "event",
  );

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

  readonly trafficRowsDropped = new Counter({
    name: "keyward_traffic_rows_dropped_total",
    help: "Usage and authentication-audit rows dropped because the database refused them on their own (while it accepted the rest of their batch).",
    registers: [this.registry],
  });

  readonly trafficFlushes = new Counter({
    name: "keyward_traffic_flushes_total",
    help: "Batched writes of usage and authentication audit, by result.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  /** Tokens reported leaked, by who reported them and whether they were Keyward's keys. */
  readonly leakReports = new Counter({
    name: "keyward_leak_reports_total",
    help: "Tokens reported leaked, by reporter (github, gitlab, self) and label (true_positive: a key this Keyward issued; false_positive: anything else).",
    labelNames: ["reporter", "label"] as const,
    registers: [this.registry],
  });

  /** Counts key lookups by event; each event's cell is fetched once, so a count is one add. */
  lookupObserver(tally: Tally<LookupEvent> = this.cacheEvents): (event: LookupEvent) => void {
    const cells = Object.fromEntries(LOOKUP_EVENTS.map((e) => [e, tally.cell(e)])) as Record<
      LookupEvent,
      TallyCell
    >;
    return (event) => {
      cells[event].n++;
    };
  }
}
