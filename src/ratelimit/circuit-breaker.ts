/**
 * Where rate limits are decided: on Redis (global), per replica because Redis keeps failing (local), or per
 * replica with one request trying Redis again (probing).
 */
export type BreakerMode = "global" | "local" | "probing";

/** When to stop asking Redis, and for how long. */
export interface BreakerOptions {
  /** Consecutive failures (timeouts, errors) that open the circuit. */
  failures: number;
  /** How long the circuit stays open before one request probes Redis again. */
  openMs: number;
  now: () => number;
}

/**
 * A circuit breaker in front of Redis. A hung Redis costs each request its full timeout; after a few
 * failures in a row requests stop asking for a while and are limited locally, then a single request probes:
 * its success closes the circuit, its failure opens it again. Pure: the caller reports outcomes.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil: number | null = null;
  private probing = false;

  constructor(private readonly options: BreakerOptions) {}

  get mode(): BreakerMode {
    if (this.openUntil === null) return "global";
    return this.probing || this.options.now() >= this.openUntil ? "probing" : "local";
  }

  /** Whether this request may ask Redis. While open, only one request at a time, after `openMs`, may. */
  allow(): boolean {
    if (this.openUntil === null) return true;
    if (this.probing || this.options.now() < this.openUntil) return false;
    this.probing = true;
    return true;
  }

  /** Redis answered. */
  success(): void {
    this.consecutive = 0;
    this.openUntil = null;
    this.probing = false;
  }

  /** Redis failed or timed out. */
  failure(): void {
    this.consecutive++;
    if (this.probing || this.consecutive >= this.options.failures) {
      this.openUntil = this.options.now() + this.options.openMs;
      this.probing = false;
    }
  }
}
