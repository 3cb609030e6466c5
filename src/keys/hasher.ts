import { createHmac, createSecretKey, hash, type KeyObject, timingSafeEqual } from "node:crypto";

/** A pepper: the server-side secret keys are hashed under, and the short id stored beside each hash. */
export interface Pepper {
  id: string;
  secret: Buffer;
  /** The secret prepared once for HMAC: building it on every call is measurable on the Check path. */
  key: KeyObject;
}

/** A stored-form key: HMAC-SHA256(pepper, key) and the id of the pepper it was made with. */
export interface KeyDigest {
  hash: Buffer;
  pepperId: string;
}

/** Turns raw pepper bytes into a Pepper whose id names it without revealing it. */
export function makePepper(secret: Buffer): Pepper {
  const id = createHmac("sha256", secret).update("keyward pepper id").digest("hex").slice(0, 8);
  return { id, secret, key: createSecretKey(secret) };
}

/**
 * Hashes keys under the current pepper, and under older ones while keys made with them remain: the first
 * pepper is the one new keys use, the others only verify.
 */
export class KeyHasher {
  readonly current: Pepper;

  constructor(readonly peppers: readonly Pepper[]) {
    const [current] = peppers;
    if (!current) throw new Error("KeyHasher needs at least one pepper");
    this.current = current;
  }

  /** The digest a new key is stored under. */
  digest(key: string): KeyDigest {
    return { hash: hmac(this.current.key, key), pepperId: this.current.id };
  }

  /**
   * The name the per-replica cache knows `key` by: its SHA-256, as text. Never the key itself, so the cache
   * holds no secret. It needs no pepper: it never leaves the process, and a key's 256 random bits cannot be
   * searched for from a digest. A one-shot hash costs a fifth of an HMAC, and it runs on every Check.
   */
  cacheKey(key: string): string {
    return hash("sha256", key, "base64");
  }

  /** Every digest `key` may be stored under, current pepper first. */
  candidates(key: string): KeyDigest[] {
    return this.peppers.map((p) => ({ hash: hmac(p.key, key), pepperId: p.id }));
  }
}

function hmac(secret: KeyObject, key: string): Buffer {
  return createHmac("sha256", secret).update(key, "utf8").digest();
}

/** Constant-time equality of two digests. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
