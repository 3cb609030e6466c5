import { isWellFormedKey } from "../keys/format.js";
import { digestsEqual, type KeyHasher } from "../keys/hasher.js";
import type { KeyRepository } from "../store/key-repository.js";
import type { KeyCache } from "./key-cache.js";
import { type VerifiedKey, verifiedKey } from "./verified-key.js";

/** What a presented credential turned out to be. */
export type Verification = { kind: "malformed" } | { kind: "unknown" } | { kind: "key"; key: VerifiedKey };

/** How a credential was resolved: refused offline, from the cache, or with a database query. */
export type VerifierEvent = "malformed" | "hit" | "negative_hit" | "query";

const MALFORMED: Verification = { kind: "malformed" };
const UNKNOWN: Verification = { kind: "unknown" };

/**
 * Resolves a presented credential to a stored key: offline checks first (a bad shape or checksum never costs
 * a query), then the cache, then at most one indexed lookup, shared by concurrent requests for the same key.
 */
export class KeyVerifier {
  private readonly inflight = new Map<string, { generation: number; promise: Promise<VerifiedKey | null> }>();

  constructor(
    private readonly keys: KeyRepository,
    private readonly hasher: KeyHasher,
    private readonly prefix: string,
    private readonly cache?: KeyCache,
    /** Told how each credential was resolved, for metrics: the flood and cache figures come from here. */
    private readonly observe: (event: VerifierEvent) => void = () => {},
  ) {}

  /**
   * What `credential` is: synchronously when the offline checks or the cache can tell (the hot path), with a
   * promise when the database must be asked.
   */
  verify(credential: string): Verification | Promise<Verification> {
    if (!isWellFormedKey(credential, this.prefix)) {
      this.observe("malformed");
      return MALFORMED;
    }
    const digest = this.hasher.cacheKey(credential);
    const key = this.cache?.get(digest);
    if (key !== undefined) {
      this.observe(key ? "hit" : "negative_hit");
      return key ? { kind: "key", key } : UNKNOWN;
    }
    return this.lookup(credential, digest);
  }

  /** One indexed query per key, shared by the requests that ask for it at once. */
  private async lookup(credential: string, digest: string): Promise<Verification> {
    const generation = this.cache?.generation ?? 0;
    let pending = this.inflight.get(digest);
    // A lookup begun before the latest invalidation may have read the row that change replaced: a request
    // that arrives after the invalidation must not share it.
    if (!pending || pending.generation !== generation) {
      this.observe("query");
      const entry = { generation, promise: this.load(this.hasher.candidates(credential)) };
      this.inflight.set(digest, entry);
      entry.promise
        .then((found) => this.cache?.set(digest, found, generation))
        .catch(() => {})
        .finally(() => {
          if (this.inflight.get(digest) === entry) this.inflight.delete(digest);
        });
      pending = entry;
    }
    const key = await pending.promise;
    return key ? { kind: "key", key } : UNKNOWN;
  }

  private async load(candidates: ReturnType<KeyHasher["candidates"]>): Promise<VerifiedKey | null> {
    const record = await this.keys.findByHash(candidates.map((c) => c.hash));
    if (!record) return null;
    const match = candidates.some(
      (c) => c.pepperId === record.pepperId && digestsEqual(c.hash, record.keyHash),
    );
    return match ? verifiedKey(record, record.memberCompanies) : null;
  }
}
