import { isWellFormedKey, keyLength } from "../keys/format.js";
import { digestsEqual, type KeyHasher } from "../keys/hasher.js";
import type { LookupEvent } from "../metrics.js";
import type { DatabaseHealth } from "../store/database-health.js";
import { DatabaseUnavailableError, isDatabaseUnavailable, withDeadline } from "../store/db-errors.js";
import type { KeyRepository } from "../store/key-repository.js";
import type { KeyCache } from "./key-cache.js";
import type { UnknownKeyGuard } from "./unknown-key-guard.js";
import type { Verification } from "./verification.js";
import { type VerifiedKey, verifiedKey } from "./verified-key.js";

/** What a verifier works with. */
export interface KeyVerifierOptions {
  keys: KeyRepository;
  hasher: KeyHasher;
  prefix: string;
  cache: KeyCache;
  /** Told how each credential was resolved, for metrics: the flood and cache figures come from here. */
  observe?: (event: LookupEvent) => void;
  /** Bounds the lookups of unknown keys per source; none when unset. */
  guard?: UnknownKeyGuard | undefined;
  /** Bounds each lookup and answers from the cache when the database fails; unbounded when unset. */
  faults?: LookupFaults | undefined;
}

/** How lookups behave when the database fails. */
export interface LookupFaults {
  health: DatabaseHealth;
  /** Longest wait for one lookup: Envoy's own Check timeout is 200 ms. */
  timeoutMs: number;
  /** How long into a database failure keys verified before it are still answered from the cache; 0: never. */
  staleIfErrorMs: number;
  now: () => number;
}

const MALFORMED: Verification = { kind: "malformed" };
const UNKNOWN: Verification = { kind: "unknown" };

/**
 * Resolves a presented credential to a stored key: the cache first (a hit needs nothing else), then the
 * offline checks (a bad shape or checksum never costs a query), then at most one indexed lookup, shared by
 * concurrent requests for the same key.
 */
export class KeyVerifier {
  private readonly inflight = new Map<string, { generation: number; promise: Promise<VerifiedKey | null> }>();
  /** Every key minted under the prefix has this length; anything else is refused before it is hashed. */
  private readonly keyLength: number;
  private readonly keys: KeyRepository;
  private readonly hasher: KeyHasher;
  private readonly prefix: string;
  private readonly cache: KeyCache;
  private readonly observe: (event: LookupEvent) => void;
  private readonly guard: UnknownKeyGuard | undefined;
  private readonly faults: LookupFaults | undefined;

  constructor(options: KeyVerifierOptions) {
    this.keys = options.keys;
    this.hasher = options.hasher;
    this.prefix = options.prefix;
    this.cache = options.cache;
    this.observe = options.observe ?? (() => {});
    this.guard = options.guard;
    this.faults = options.faults;
    this.keyLength = keyLength(options.prefix);
  }

  /**
   * What `credential` is: synchronously when the offline checks or the cache can tell (the hot path), with a
   * promise when the database must be asked. `source` (the caller's address, "" when unknown) is charged for
   * lookups that find no key; without it, lookups are not bounded.
   */
  verify(credential: string, source?: string): Verification | Promise<Verification> {
    if (credential.length !== this.keyLength) return this.malformed();
    // The cache is asked before the checksum is: only well-formed keys are ever stored in it, so a hit
    // vouches for the whole string, and the hot path skips the checksum.
    const digest = this.hasher.cacheKey(credential);
    const cached = this.cache.get(digest);
    if (cached) {
      this.observe("hit");
      return { kind: "key", key: cached };
    }
    if (!isWellFormedKey(credential, this.prefix)) return this.malformed();
    if (cached === null) {
      this.observe("negative_hit");
      return UNKNOWN;
    }
    if (source !== undefined && this.guard) {
      const limit = this.guard.refusal(source);
      if (limit) {
        this.observe("throttled");
        return { kind: "throttled", spec: this.guard.spec, limit };
      }
    }
    // While the database is known to be down nothing is queued behind it: the cache answers, or nothing does.
    if (this.faults?.health.down) return this.staleOr(digest, new DatabaseUnavailableError());
    return this.lookup(credential, digest, source);
  }

  /** Stale-if-error: a key verified before the database failed, while the failure is young enough. */
  private staleOr(digest: string, err: unknown): Verification {
    const faults = this.faults;
    if (faults && faults.staleIfErrorMs > 0) {
      const now = faults.now();
      const failedAt = faults.health.downSince ?? now;
      const key = now - failedAt <= faults.staleIfErrorMs ? this.cache.stale(digest, failedAt) : undefined;
      if (key) {
        this.observe("stale");
        return { kind: "key", key };
      }
    }
    throw err;
  }

  private malformed(): Verification {
    this.observe("malformed");
    return MALFORMED;
  }

  /** One indexed query per key, shared by the requests that ask for it at once. */
  private async lookup(
    credential: string,
    digest: string,
    source: string | undefined,
  ): Promise<Verification> {
    const generation = this.cache.generation;
    let pending = this.inflight.get(digest);
    // A lookup begun before the latest invalidation may have read the row that change replaced: a request
    // that arrives after the invalidation must not share it.
    if (!pending || pending.generation !== generation) {
      this.observe("query");
      const entry = { generation, promise: this.load(this.hasher.candidates(credential)) };
      this.inflight.set(digest, entry);
      entry.promise
        .then((found) => {
          this.cache.set(digest, found, generation);
          if (!found && source !== undefined) this.guard?.charge(source);
        })
        .catch(() => {})
        .finally(() => {
          if (this.inflight.get(digest) === entry) this.inflight.delete(digest);
        });
      pending = entry;
    }
    let key: VerifiedKey | null;
    try {
      key = await pending.promise;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      return this.staleOr(digest, err);
    }
    return key ? { kind: "key", key } : UNKNOWN;
  }

  private async load(candidates: ReturnType<KeyHasher["candidates"]>): Promise<VerifiedKey | null> {
    const faults = this.faults;
    const query = this.keys.findByHash(candidates.map((c) => c.hash));
    if (!faults) return this.match(await query, candidates);
    try {
      const record = await withDeadline(query, faults.timeoutMs, "key lookup");
      faults.health.succeeded();
      return this.match(record, candidates);
    } catch (err) {
      // One slow answer may be load, not an outage: a probe decides. A refused or broken connection is one.
      faults.health.report(err);
      throw err;
    }
  }

  private match(
    record: Awaited<ReturnType<KeyRepository["findByHash"]>>,
    candidates: ReturnType<KeyHasher["candidates"]>,
  ): VerifiedKey | null {
    if (!record) return null;
    const match = candidates.some(
      (c) => c.pepperId === record.pepperId && digestsEqual(c.hash, record.keyHash),
    );
    return match ? verifiedKey(record, record.memberships) : null;
  }
}
