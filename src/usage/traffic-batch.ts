/** Usage of one key, acting for one company, in one minute. */
export interface UsageBucket {
  keyId: string;
  companyId: string;
  minute: number;
  requests: number;
  denied: number;
}

/** Allowed requests of one key to one endpoint in one minute. */
export interface EndpointBucket {
  keyId: string;
  minute: number;
  method: string;
  path: string;
  requests: number;
}

/**
 * Authentication outcomes in one minute: for a known key (keyId set, its source IPs collected), or for
 * failures without a known key (sourceIp set).
 */
export interface AuthBucket {
  minute: number;
  keyId: string;
  companyId: string;
  sourceIp: string;
  outcome: string;
  count: number;
  sourceIps: Set<string>;
}

/** Everything gathered between two flushes. */
export interface TrafficBatch {
  usage: Map<string, UsageBucket>;
  endpoints: Map<string, EndpointBucket>;
  auth: Map<string, AuthBucket>;
  lastUsed: Map<string, number>;
}

export function emptyBatch(): TrafficBatch {
  return { usage: new Map(), endpoints: new Map(), auth: new Map(), lastUsed: new Map() };
}

export function batchSize(b: TrafficBatch): number {
  return b.usage.size + b.endpoints.size + b.auth.size;
}

/** Where flushed batches go: the store implements it, so this folder needs nothing from the store. */
export interface TrafficSink {
  /** Adds a batch to the stored counters: all of it lands, or none of it (and the call rejects). */
  write(batch: TrafficBatch): Promise<void>;
  /** Whether the database answers at all: tells a refused batch from an outage. */
  reachable(): Promise<boolean>;
}

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
  /** What keyless failures are counted under (an IPv4 address or an IPv6 /64); `sourceIp` when absent. */
  sourceKey?: string | null;
}

/** The buckets one key's last request was counted in, with what made them the right ones. */
export interface HotBuckets {
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

/** Every row of a batch, one entry each, in a fixed order. */
function entries(b: TrafficBatch): [keyof TrafficBatch, string, unknown][] {
  const out: [keyof TrafficBatch, string, unknown][] = [];
  for (const part of ["usage", "endpoints", "auth", "lastUsed"] as const) {
    for (const [k, v] of b[part]) out.push([part, k, v]);
  }
  return out;
}

/** The number of rows a batch writes: its buckets and its last-use times. */
export function rowCount(b: TrafficBatch): number {
  return batchSize(b) + b.lastUsed.size;
}

/** A batch split into two halves of its rows; undefined when it holds a single row (or none). */
export function splitBatch(b: TrafficBatch): [TrafficBatch, TrafficBatch] | undefined {
  const all = entries(b);
  if (all.length < 2) return undefined;
  const halves: [TrafficBatch, TrafficBatch] = [emptyBatch(), emptyBatch()];
  all.forEach(([part, k, v], i) => {
    (halves[i < all.length / 2 ? 0 : 1][part] as Map<string, unknown>).set(k, v);
  });
  return halves;
}
