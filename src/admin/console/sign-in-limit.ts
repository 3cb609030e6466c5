/** Failed console sign-ins one source address may make within the window before it must wait. */
export const SIGN_IN_FAILURES = 10;

/** The window over which failed sign-ins are counted. */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

/** Addresses remembered at most; past that the one idle longest is forgotten (memory stays bounded). */
const MAX_ADDRESSES = 10_000;

/**
 * Slows down guessing admin keys through the console: each source address may fail `max` sign-ins per
 * sliding window, then every sign-in from it (right or wrong) is refused until its oldest failure leaves the
 * window. Kept per replica, in memory: a replica restart forgives, which bounds nothing but speed.
 */
export class SignInLimit {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly max = SIGN_IN_FAILURES,
    private readonly windowMs = SIGN_IN_WINDOW_MS,
  ) {}

  /** Whole seconds `address` must wait before its next sign-in, or 0 when it may sign in now. */
  retryAfter(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.max) return 0;
    const oldest = recent[recent.length - this.max] ?? this.now();
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  /** Counts a failed sign-in from `address`. */
  failed(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    // Re-inserting moves the address to the end: the Map's first entry is the one idle longest.
    this.failures.delete(address);
    this.failures.set(address, recent.slice(-this.max));
    if (this.failures.size > MAX_ADDRESSES) {
      const idlest = this.failures.keys().next().value;
      if (idlest !== undefined) this.failures.delete(idlest);
    }
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(address);
    return kept;
  }
}
