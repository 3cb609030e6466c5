import { storedText } from "./stored-text.js";
import {
  type AuthBucket,
  batchSize,
  type EndpointBucket,
  emptyBatch,
  type HotBuckets,
  type TrafficBatch,
} from "./traffic-batch.js";
import {
  endpointKey,
  MAX_ENDPOINTS_PER_KEY,
  MAX_IPS_PER_BUCKET,
  mergeBatches,
  OTHER,
  perKeyMinute,
} from "./traffic-merge.js";

const MINUTE = 60_000;
/** Distinct sources of keyless failures recorded per minute; the rest count under "(other)". */
export const MAX_KEYLESS_SOURCES = 1000;

/**
 * The batch of usage and authentication counts being gathered, per minute, in memory: no I/O and no clock of
 * its own (every outcome says when it happened). At most `maxBuckets` buckets; an outcome that would need
 * another is dropped and `onFull` is called. `take()` hands the batch over for writing; `restore()` puts one
 * that failed to write back in front of what arrived since.
 */
export class TrafficBuckets {
  private batch = emptyBatch();
  private endpointCount = new Map<string, number>();
  /** Per key, the buckets its last request went to (see `add`); cleared with every new batch. */
  private readonly hot = new Map<string, HotBuckets>();
  /** The minute keyless sources are being counted for, and the sources seen in it. */
  private keylessMinute = -1;
  private readonly keylessSources = new Set<string>();

  constructor(
    private readonly maxBuckets: number,
    private readonly onFull: () => void,
  ) {}

  /** Counts one Check outcome in the minute it happened; the arguments of a TrafficRecord, unwrapped. */
  add(
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
    this.onFull();
    return true;
  }

  /** Buckets gathered and not taken yet. */
  get size(): number {
    return batchSize(this.batch);
  }

  /** The newest use of `keyId` in the batch. */
  lastUsed(keyId: string): number | undefined {
    return this.batch.lastUsed.get(keyId);
  }

  /** The batch gathered so far; counting starts over in a new, empty one. */
  take(): TrafficBatch {
    const batch = this.batch;
    this.batch = emptyBatch();
    this.endpointCount.clear();
    this.hot.clear();
    return batch;
  }

  /** Puts a batch that failed to write back in front of what arrived since. */
  restore(failed: TrafficBatch): void {
    const current = this.batch;
    this.batch = failed;
    this.hot.clear();
    this.endpointCount = mergeBatches(failed, current);
  }
}
