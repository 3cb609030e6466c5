import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { salvageBatch } from "./batch-salvage.js";
import { batchSize, type TrafficRecord, type TrafficSink } from "./traffic-batch.js";
import { TrafficBuckets } from "./traffic-buckets.js";
import { MAX_IPS_PER_BUCKET } from "./traffic-merge.js";

export { MAX_KEYLESS_SOURCES } from "./traffic-buckets.js";
export { MAX_IPS_PER_BUCKET, type TrafficRecord };

/** How often at most a flush that dropped rows is logged (every dropped row is counted). */
const DROP_WARNING_INTERVAL_MS = 60_000;

/**
 * Aggregates usage and the authentication audit in memory, per minute (see TrafficBuckets), and writes them
 * in batches: the Check path never waits on a database write. The buffer is bounded (what does not fit is
 * dropped and counted); a failed write keeps its batch for the next flush, and a batch that fails again while
 * the database answers is salvaged row by row (see salvageBatch), so no input can stop recording; `stop()`
 * writes what remains.
 */
export class TrafficRecorder {
  private readonly buckets: TrafficBuckets;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Flushes that failed in a row. */
  private failures = 0;
  private lastDropWarning = Number.NEGATIVE_INFINITY;

  private readonly sink: TrafficSink;
  private readonly metrics: Metrics;
  private readonly logger: Logger;

  /**
   * `record` with its fields as arguments: the Check path's form, which builds no record object. Bound once
   * here, so the hot path makes one call.
   */
  readonly recordCheck: TrafficBuckets["add"];

  constructor(options: { sink: TrafficSink; metrics: Metrics; logger: Logger; maxBuckets?: number }) {
    this.sink = options.sink;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.buckets = new TrafficBuckets(options.maxBuckets ?? 100_000, () => this.metrics.trafficDropped.inc());
    this.recordCheck = this.buckets.add.bind(this.buckets);
  }

  /** Counts one Check outcome in the minute it happened. */
  record(r: TrafficRecord): void {
    this.buckets.add(r.outcome, r.keyId, r.companyId, r.method, r.path, r.sourceIp, r.now, r.sourceKey);
  }

  /** Buckets gathered and not written yet. */
  get pending(): number {
    return this.buckets.size;
  }

  /** The newest use of `keyId` this replica has not written yet. */
  pendingLastUsed(keyId: string): number | undefined {
    return this.buckets.lastUsed(keyId);
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
    const batch = this.buckets.take();
    if (batchSize(batch) === 0 && batch.lastUsed.size === 0) return;
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
      for (const part of salvaged.kept) this.buckets.restore(part);
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

  /** Stops the timer and writes everything that remains. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.buckets.size > 0) await this.flush();
  }
}
