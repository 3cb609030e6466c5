import type { RateLimitSpec } from "../keys/key-record.js";
import { gcra, type LimitResult } from "./gcra.js";

/** Per-replica limits: one GCRA state per key, in memory, bounded. */
export class LocalLimiter {
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly maxKeys = 1_000_000,
  ) {}

  /** What `take` would answer now, without spending anything. */
  peek(keyId: string, spec: RateLimitSpec): LimitResult {
    return gcra(this.tats.get(keyId), this.now(), spec);
  }

  take(keyId: string, spec: RateLimitSpec): LimitResult {
    const now = this.now();
    const result = gcra(this.tats.get(keyId), now, spec);
    if (result.allowed) {
      if (this.tats.size >= this.maxKeys && !this.tats.has(keyId)) this.sweep(now);
      this.tats.set(keyId, result.tat);
    }
    return result;
  }

  /** Drops keys whose budget is whole again: they hold no information. */
  private sweep(now: number): void {
    for (const [id, tat] of this.tats) if (tat <= now) this.tats.delete(id);
    if (this.tats.size >= this.maxKeys) this.tats.clear();
  }
}
