import { Redis } from "ioredis";
import type { RateLimitSpec } from "../keys/key-record.js";
import type { LimitResult } from "./gcra.js";

/**
 * The same GCRA as gcra.ts, run atomically inside Redis with Redis's own clock, so every replica draws from
 * one budget per key. Returns {allowed, remaining, reset ms, retry-after ms}.
 */
const SCRIPT = `
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
local ahead = nxt - now
if ahead > capacity * interval then
  return {0, 0, math.ceil(tat - now), math.ceil(ahead - capacity * interval)}
end
redis.call('SET', KEYS[1], tostring(nxt), 'PX', math.ceil(ahead) + 1000)
return {1, math.floor((capacity * interval - ahead) / interval + 1e-9), math.ceil(ahead), 0}
`;

type GcraClient = Redis & {
  keywardGcra(key: string, interval: string, capacity: string): Promise<[number, number, number, number]>;
};

/** Global limits on Redis. Fails fast (no queueing, no retries) so a Redis outage falls back at once. */
export class RedisLimiter {
  private readonly redis: GcraClient;

  constructor(
    url: string,
    private readonly timeoutMs = 100,
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    }) as GcraClient;
    this.redis.on("error", () => {});
    this.redis.defineCommand("keywardGcra", { numberOfKeys: 1, lua: SCRIPT });
  }

  get ready(): boolean {
    return this.redis.status === "ready";
  }

  async take(keyId: string, spec: RateLimitSpec): Promise<LimitResult> {
    const [allowed, remaining, resetMs, retryAfterMs] = await withTimeout(
      this.redis.keywardGcra(
        `keyward:rl:${keyId}`,
        String(spec.windowMs / spec.requests),
        String(spec.requests + spec.burst),
      ),
      this.timeoutMs,
    );
    return { allowed: allowed === 1, remaining, resetMs, retryAfterMs };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * Rejects after `ms` unless `reply` settles first, judged only once pending socket reads are done. After an
 * event-loop stall (a GC pause, a CPU-bound request) Node runs expired timers before it polls sockets, so a
 * plain timer (ioredis's commandTimeout) fails a reply Redis sent in time: the request is then limited locally
 * although Redis already counted it. The extra setImmediate puts the verdict after the poll phase.
 */
function withTimeout<T>(reply: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`))),
      ms,
    );
  });
  return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
}
