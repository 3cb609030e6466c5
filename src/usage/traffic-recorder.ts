import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import {
  type AuthBucket,
  batchSize,
  type EndpointBucket,
  emptyBatch,
  type TrafficBatch,
  type TrafficSink,
  type UsageBucket,
} from "./traffic-batch.js";

/** The buckets one key's last request was counted in, with what made them the right ones. */
interface HotBuckets {
  batch: TrafficBatch;
  minute: number;
  company: string;
  outcome: string;
  method: string;
  path: string;
  usage: UsageBucket;
  endpoint: EndpointBucket | undefined;
  auth: AuthBucket;
}

const MINUTE = 60_000;
/** Distinct endpoints kept per key per minute; the rest count as "(other)" so odd paths cannot blow memory. */
const MAX_ENDPOINTS_PER_KEY = 64;
/** The endpoint bucket of a key's requests beyond MAX_ENDPOINTS_PER_KEY. */
const OTHER = "(other)";
/** Source IPs remembered per key per minute. */
export const MAX_IPS_PER_BUCKET = 64;

/** One request's outcome, as the Check path reports it. */
export interface TrafficRecord {
  /** "allow" or the denial code. */
  outcome: string;
  /** The key presented, when it is a known one. */
  keyId: string | null;
  /** The company the request acted (or tried to act) for, when known. */
  companyId: string | null;
  method: string;
  path: string;
  sourceIp: string | null;
  now: number;
}

/**
 * Aggregates usage and the authentication audit in memory, per minute, and writes them in batches: the Check
 * path never waits on a database write. The buffer is bounded (what does not fit is dropped and counted); a
 * failed write keeps its batch for the next flush; `stop()` writes what remains.
 */
export class TrafficRecorder {
  private batch = emptyBatch();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly endpointCount = new Map<string, number>();
  /** Per key, the buckets its last request went to (see `record`); cleared with every new batch. */
  private readonly hot = new Map<string, HotBuckets>();

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
    this.recordCheck(r.outcome, r.keyId, r.companyId, r.method, r.path, r.sourceIp, r.now);
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
  ): void {
    const minute = now - (now % MINUTE);
    if (keyId === null) {
      this.auth(minute, "", "", sourceIp ?? "", outcome, null);
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
    const method = rawMethod.slice(0, 16).replaceAll("\u0000", "");
    let path = rawPath.slice(0, 256).replaceAll("\u0000", "");
    let key = endpointKey(keyId, minute, method, path);
    if (!this.batch.endpoints.has(key)) {
      const perKey = `${keyId}\u0000${minute}`;
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

  private full(): boolean {
    if (batchSize(this.batch) < this.maxBuckets) return false;
    this.metrics.trafficDropped.inc();
    return true;
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
    } catch (err) {
      this.metrics.trafficFlushes.inc({ result: "error" });
      this.logger.warn({ err }, "usage and audit flush failed; keeping the batch for the next one");
      this.restore(batch);
    }
  }

  /** Puts a batch that failed to write back in front of what arrived since. */
  private restore(failed: TrafficBatch): void {
    const current = this.batch;
    this.batch = failed;
    this.hot.clear();
    for (const [k, v] of current.usage) {
      const u = failed.usage.get(k);
      if (u) {
        u.requests += v.requests;
        u.denied += v.denied;
      } else failed.usage.set(k, v);
    }
    // The endpoint cap holds for the merged batch too: recount it, and fold what no longer fits into "(other)".
    this.endpointCount.clear();
    for (const e of failed.endpoints.values()) if (e.path !== OTHER) this.countEndpoint(e.keyId, e.minute);
    for (const [k, v] of current.endpoints) {
      const e = failed.endpoints.get(k);
      if (e) {
        e.requests += v.requests;
        continue;
      }
      const perKey = `${v.keyId}\u0000${v.minute}`;
      if (v.path === OTHER || (this.endpointCount.get(perKey) ?? 0) < MAX_ENDPOINTS_PER_KEY) {
        failed.endpoints.set(k, v);
        if (v.path !== OTHER) this.countEndpoint(v.keyId, v.minute);
        continue;
      }
      const otherKey = endpointKey(v.keyId, v.minute, v.method, OTHER);
      const other = failed.endpoints.get(otherKey);
      if (other) other.requests += v.requests;
      else failed.endpoints.set(otherKey, { ...v, path: OTHER });
    }
    for (const [k, v] of current.auth) {
      const a = failed.auth.get(k);
      if (a) {
        a.count += v.count;
        for (const ip of v.sourceIps) if (a.sourceIps.size < MAX_IPS_PER_BUCKET) a.sourceIps.add(ip);
      } else failed.auth.set(k, v);
    }
    for (const [k, t] of current.lastUsed) if ((failed.lastUsed.get(k) ?? 0) < t) failed.lastUsed.set(k, t);
  }

  private countEndpoint(keyId: string, minute: number): void {
    const perKey = `${keyId}\u0000${minute}`;
    this.endpointCount.set(perKey, (this.endpointCount.get(perKey) ?? 0) + 1);
  }

  /** Stops the timer and writes everything that remains. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (batchSize(this.batch) > 0) await this.flush();
  }
}

function endpointKey(keyId: string, minute: number, method: string, path: string): string {
  return `${keyId}\u0000${minute}\u0000${method}\u0000${path}`;
}
