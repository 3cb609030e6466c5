import type { ChangeFeedHandlers } from "../store/change-feed.js";
import type { VerifiedKey } from "./verified-key.js";

/** Cache settings. */
export interface KeyCacheOptions {
  /** Most verified keys held; the least recently used go first. */
  maxEntries: number;
  /** How long a verified key is trusted without news from the change feed (bounds staleness if one is lost). */
  ttlMs: number;
  /** How long "no such key" is remembered: short, and bounded separately so a flood cannot evict real keys. */
  negativeTtlMs: number;
  maxNegative: number;
  now: () => number;
  /**
   * How long past its TTL a verified key is kept for stale-if-error: answered only when the database itself
   * fails (see `stale`). 0 keeps nothing past the TTL.
   */
  staleMs?: number;
}

interface Entry {
  key: VerifiedKey;
  /** When the database last vouched for this key. */
  verifiedAt: number;
  expiresAt: number;
  /** When the entry last moved to the recent end of the LRU order. */
  touchedAt: number;
}

/**
 * Recency is kept to this granularity: a key used many times a second moves in the LRU order once a second,
 * not on every Check.
 */
const TOUCH_INTERVAL_MS = 1000;

/**
 * A feed loss this close before a database failure is taken as part of the same failure (a dying server drops
 * the LISTEN connection first, or the heartbeat notices it first): keys cached before it still count as
 * verified before the failure.
 */
const SAME_FAILURE_MS = 5000;

/**
 * Verified keys in memory, by the hex digest of the presented secret. Entries leave on change notifications
 * (by key id), on TTL, or all at once when the change feed reconnects. While the feed is down (or late) the
 * cache is bypassed: without notifications nothing cached can be trusted. What the database answers meanwhile
 * is still recorded, so that stale-if-error answers with the newest thing the database said.
 */
export class KeyCache {
  private readonly positive = new Map<string, Entry>();
  private readonly negative = new Map<string, number>();
  private readonly digestOf = new Map<string, string>();
  /** Bumped by every invalidation, so a lookup that raced one does not cache what it read. */
  private generationCounter = 0;
  private trusted = false;
  /** When the cache stopped being trusted (the feed went down), or null while it is. */
  private untrustedSince: number | null = null;

  constructor(private readonly options: KeyCacheOptions) {}

  /** Whether cached keys may be served: only while the change feed is connected and on time. */
  get enabled(): boolean {
    return this.trusted;
  }

  set enabled(on: boolean) {
    if (on === this.trusted) return;
    this.trusted = on;
    this.untrustedSince = on ? null : this.options.now();
  }

  get generation(): number {
    return this.generationCounter;
  }

  /** The key, `null` for a known-unknown digest, undefined for a miss. */
  get(digest: string): VerifiedKey | null | undefined {
    if (!this.enabled) return undefined;
    const now = this.options.now();
    const entry = this.positive.get(digest);
    if (entry) {
      if (entry.expiresAt <= now) {
        if (entry.expiresAt + (this.options.staleMs ?? 0) <= now) this.drop(digest, entry.key.id);
        return undefined;
      }
      // Re-insert to mark as recently used: Map iteration order is the LRU order.
      if (now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
        entry.touchedAt = now;
        this.positive.delete(digest);
        this.positive.set(digest, entry);
      }
      return entry.key;
    }
    const negativeUntil = this.negative.get(digest);
    if (negativeUntil !== undefined) {
      if (negativeUntil > now) return null;
      this.negative.delete(digest);
    }
    return undefined;
  }

  /**
   * A key the database vouched for before it failed, for stale-if-error: kept at most `staleMs` past its TTL,
   * and only if it was read while the cache was trusted, or since (a key cached before a feed loss that
   * preceded the failure may have missed its notification). `failedAt` is when the database failure began.
   */
  stale(digest: string, failedAt: number): VerifiedKey | undefined {
    const entry = this.positive.get(digest);
    if (!entry || entry.expiresAt + (this.options.staleMs ?? 0) <= this.options.now()) return undefined;
    const since = this.untrustedSince;
    const vouched = since === null || entry.verifiedAt >= since || failedAt - since <= SAME_FAILURE_MS;
    return vouched ? entry.key : undefined;
  }

  /** Remembers a lookup result, unless an invalidation happened since `generation` was read. */
  set(digest: string, key: VerifiedKey | null, generation: number): void {
    if (generation !== this.generationCounter || this.options.maxEntries === 0) return;
    // While untrusted, only verified keys are kept, and only for stale-if-error.
    if (!this.enabled && (key === null || !this.options.staleMs)) return;
    const now = this.options.now();
    if (key === null) {
      // Storing a digest again must not evict another entry to make room for one that is already there.
      this.negative.delete(digest);
      if (this.negative.size >= this.options.maxNegative) this.evictOldest(this.negative);
      this.negative.set(digest, now + this.options.negativeTtlMs);
      return;
    }
    const present = this.positive.get(digest);
    if (present) this.drop(digest, present.key.id);
    if (this.positive.size >= this.options.maxEntries) {
      const oldest = this.positive.keys().next().value;
      if (oldest !== undefined) this.drop(oldest, this.positive.get(oldest)?.key.id);
    }
    this.positive.set(digest, { key, verifiedAt: now, expiresAt: now + this.options.ttlMs, touchedAt: now });
    this.digestOf.set(key.id, digest);
  }

  /** Forgets one key: it changed. */
  invalidate(keyId: string): void {
    this.generationCounter++;
    const digest = this.digestOf.get(keyId);
    if (digest !== undefined) this.drop(digest, keyId);
  }

  /**
   * The cache's side of the change feed: a changed key leaves; a (re)connected feed starts from empty, since
   * anything may have changed while it was down; a lost feed turns the cache off until it is back (what it
   * holds is kept, for stale-if-error only). `onState` hears whether the feed is up.
   */
  followFeed(onState: (connected: boolean) => void = () => {}): ChangeFeedHandlers {
    return {
      onChange: (keyId) => this.invalidate(keyId),
      onConnected: () => {
        this.clear();
        this.enabled = this.options.maxEntries > 0;
        onState(true);
      },
      onDisconnected: () => {
        this.enabled = false;
        onState(false);
      },
    };
  }

  /** Forgets everything: notifications may have been missed. */
  clear(): void {
    this.generationCounter++;
    this.positive.clear();
    this.negative.clear();
    this.digestOf.clear();
  }

  get size(): { positive: number; negative: number } {
    return { positive: this.positive.size, negative: this.negative.size };
  }

  private drop(digest: string, keyId: string | undefined): void {
    this.positive.delete(digest);
    if (keyId !== undefined) this.digestOf.delete(keyId);
  }

  private evictOldest(map: Map<string, unknown>): void {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
