import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { salvageBatch } from "./batch-salvage.js";
import { storedText } from "./stored-text.js";
import {
  type AuthBucket,
  batchSize,
  type EndpointBucket,
  emptyBatch,
  type HotBuckets,
  type TrafficBatch,
  type TrafficRecord,
  type TrafficSink,
} from "./traffic-batch.js";
import {
  endpointKey,
  MAX_ENDPOINTS_PER_KEY,
  MAX_IPS_PER_BUCKET,
  mergeBatches,
  OTHER,
  perKeyMinute,
} from "./traffic-merge.js";

export { MAX_IPS_PER_BUCKET, type TrafficRecord };

const MINUTE = 60_000;
/** Distinct sources of keyless failures recorded per minute; the rest count under "(other)". */
export const MAX_KEYLESS_SOURCES = 1000;
/** How often at most a flush that dropped rows is logged (every dropped row is counted). */
const DROP_WARNING_INTERVAL_MS = 60_000;

/**
 * Aggregates usage and the authentication audit in memory, per minute, and writes them in batches: the Check
 * path never waits on a database write. The buffer is bounded (what does not fit is dropped and counted); a
 * failed write keeps its batch for the next flush, and a batch that fails again while the database answers
 * is salvaged row by row (see salvageBatch), so no input can stop recording; `stop()` writes what remains.
 */
export class TrafficRecorder {
  private batch = emptyBatch();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private endpointCount = new Map<string, number>();
  /** Per key, the buckets its last request went to (see `record`); cleared with every new batch. */
  private readonly hot = new Map<string, HotBuckets>();
  /** Flushes that failed in a row. */
  private failures = 0;
  private lastDropWarning = Number.NEGATIVE_INFINITY;
  /** The minute keyless sources are being counted for, and the sources seen in it. */
  private keylessMinute = -1;
  private readonly keylessSources = new Set<string>();

  private readonly sink: TrafficSink;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly maxBuckets: number;

  constructor(options: { sink: TrafficSink; metrics: Metrics; logger: Logger; maxBuckets?: number }) {
    this.sink = options.sink;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.maxBuckets = options.maxBuckets ?? 100_000;
  }

  /** Counts one Check outcome in the minute it happened. */
  record(r: TrafficRecord): void {
    this.recordCheck(r.outcome, r.keyId, r.companyId, r.method, r.path, r.sourceIp, r.now, r.sourceKey);
  }

  /** `record` with its fields as arguments: the Check path's form, which builds no record object. */
  recordCheck(
    outcome: string,
    keyId: string | null,
    companyId: string | null,
    method: string,
    path: string,
    sourceIp: string | null,
    now: number,
    sourceKey: string | null = sourceIp,
  ): void {
    const minute = now - (now % MINUTE);
    if (keyId === null) {
      this.auth(minute, "", "", this.keylessSource(minute, sourceKey ?? ""), outcome, null);
      return;
    }
    const company = companyId ?? "";
    // Fast path: a key's requests mostly repeat its previous one (same minute, company, outcome, endpoint):
    // bump the buckets that one used instead of building their keys again.
    const hot = this.hot.get(keyId);
    if (
      hot &&
      hot.batch === this.batch &&
      hot.minute === minute &&
      hot.company === company &&
      hot.outcome === outcome &&
      hot.method === method &&
      hot.path === path
    ) {
      if (outcome === "allow") {
        hot.usage.requests++;
        if (hot.endpoint) hot.endpoint.requests++;
        this.touch(keyId, now);
      } else {
        hot.usage.denied++;
      }
      this.count(hot.auth, sourceIp);
      return;
    }
    const b = this.batch;
    const usageKey = `${keyId}\u0000${company}\u0000${minute}`;
    let usage = b.usage.get(usageKey);
    if (!usage) {
      if (this.full()) return;
      usage = { keyId: keyId, companyId: company, minute, requests: 0, denied: 0 };
      b.usage.set(usageKey, usage);
    }
    let endpoint: EndpointBucket | undefined;
    if (outcome === "allow") {
      usage.requests++;
      endpoint = this.endpoint(keyId, minute, method, path);
      this.touch(keyId, now);
    } else {
      usage.denied++;
    }
    const auth = this.auth(minute, keyId, company, "", outcome, sourceIp);
    if (auth) {
      const entry = {
        batch: b,
        minute,
        company,
        outcome: outcome,
        method: method,
        path: path,
        usage,
        endpoint,
        auth,
      };
      this.hot.set(keyId, entry);
    }
  }

  private touch(keyId: string, now: number): void {
    const prior = this.batch.lastUsed.get(keyId);
    if (prior === undefined || prior < now) this.batch.lastUsed.set(keyId, now);
  }

  private count(bucket: AuthBucket, ip: string | null): void {
    bucket.count++;
    if (ip && bucket.sourceIps.size < MAX_IPS_PER_BUCKET) bucket.sourceIps.add(ip);
  }

  private endpoint(
    keyId: string,
    minute: number,
    rawMethod: string,
    rawPath: string,
  ): EndpointBucket | undefined {
    // The bucket key is made of exactly what is stored: two buckets of one batch that the table would see as
    // one row fail the whole insert (and so every later flush). PostgreSQL text cannot hold NUL.
    const method = storedText(rawMethod, 16);
    let path = storedText(rawPath, 256);
    let key = endpointKey(keyId, minute, method, path);
    if (!this.batch.endpoints.has(key)) {
      const perKey = perKeyMinute(keyId, minute);
      const n = this.endpointCount.get(perKey) ?? 0;
      if (n >= MAX_ENDPOINTS_PER_KEY) {
        path = OTHER;
        key = endpointKey(keyId, minute, method, path);
      } else if (this.full()) {
        return undefined;
      } else {
        this.endpointCount.set(perKey, n + 1);
      }
    }
    let bucket = this.batch.endpoints.get(key);
    if (bucket) bucket.requests++;
    else if (!this.full()) {
      bucket = { keyId, minute, method, path, requests: 1 };
      this.batch.endpoints.set(key, bucket);
    }
    return bucket;
  }

  private auth(
    minute: number,
    keyId: string,
    companyId: string,
    sourceIp: string,
    outcome: string,
    ip: string | null,
  ): AuthBucket | undefined {
    const key = `${minute}\u0000${keyId}\u0000${companyId}\u0000${sourceIp}\u0000${outcome}`;
    let bucket: AuthBucket | undefined = this.batch.auth.get(key);
    if (!bucket) {
      if (this.full()) return undefined;
      bucket = { minute, keyId, companyId, sourceIp, outcome, count: 0, sourceIps: new Set() };
      this.batch.auth.set(key, bucket);
    }
    this.count(bucket, ip);
    return bucket;
  }

  /**
   * The source a keyless failure is filed under: at most MAX_KEYLESS_SOURCES distinct ones a minute, the
   * rest under "(other)", so a flood from many addresses grows the table by a bounded number of rows.
   */
  private keylessSource(minute: number, source: string): string {
    if (minute !== this.keylessMinute) {
      this.keylessMinute = minute;
      this.keylessSources.clear();
    }
    const stored = storedText(source, 64);
    if (this.keylessSources.has(stored)) return stored;
    if (this.keylessSources.size >= MAX_KEYLESS_SOURCES) return OTHER;
    this.keylessSources.add(stored);
    return stored;
  }

  private full(): boolean {
    if (batchSize(this.batch) < this.maxBuckets) return false;
    this.metrics.trafficDropped.inc();
    return true;
  }

  /** Buckets gathered and not written yet. */
  get pending(): number {
    return batchSize(this.batch);
  }

  /** The newest use of `keyId` this replica has not written yet. */
  pendingLastUsed(keyId: string): number | undefined {
    return this.batch.lastUsed.get(keyId);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Writes what has gathered; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.batch;
    if (batchSize(batch) === 0 && batch.lastUsed.size === 0) return;
    this.batch = emptyBatch();
    this.endpointCount.clear();
    this.hot.clear();
    try {
      await this.sink.write(batch);
      this.metrics.trafficFlushes.inc({ result: "ok" });
      this.failures = 0;
    } catch (err) {
      this.metrics.trafficFlushes.inc({ result: "error" });
      this.failures++;
      // Once is a hiccup (or an outage): keep the batch. Again, with the database answering: salvage it.
      const salvaged =
        this.failures >= 2 && (await this.sink.reachable())
          ? await salvageBatch(
              batch,
              (b) => this.sink.write(b),
              () => this.sink.reachable(),
            )
          : { kept: [batch], dropped: 0, lastError: err };
      if (salvaged.dropped > 0) this.dropped(salvaged.dropped, salvaged.lastError);
      if (salvaged.kept.length === 0) this.failures = 0;
      else this.logger.warn({ err }, "usage and audit flush failed; keeping the batch for the next one");
      for (const part of salvaged.kept) this.restore(part);
    }
  }

  /** Counts rows the database refused on their own; says so in the log at most once a minute. */
  private dropped(rows: number, err: unknown): void {
    this.metrics.trafficRowsDropped.inc(rows);
    const now = Date.now();
    if (now - this.lastDropWarning < DROP_WARNING_INTERVAL_MS) return;
    this.lastDropWarning = now;
    this.logger.warn(
      { err, rows },
      "usage and audit rows the database refuses were dropped (keyward_traffic_rows_dropped_total); the rest were written",
    );
  }

  /** Puts a batch that failed to write back in front of what arrived since. */
  private restore(failed: TrafficBatch): void {
    const current = this.batch;
    this.batch = failed;
    this.hot.clear();
    this.endpointCount = mergeBatches(failed, current);
  }

  /** Stops the timer and writes everything that remains. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (batchSize(this.batch) > 0) await this.flush();
  }
}
