import { randomBase62 } from "./base62.js";
import { type Environment, generateKey, keyHint, parseKey } from "./format.js";
import type { KeyHasher } from "./hasher.js";
import type { KeyKind, RateLimitSpec } from "./key-record.js";

/** The settings a new key is made with. */
export interface KeySpec {
  companyId: string;
  name: string;
  scopes: string[];
  environment: Environment;
  expireTime: Date | null;
  ipAllowlist: string[];
  metadata: Record<string, string>;
  tags: string[];
  rateLimit: RateLimitSpec | null;
  /** Default "standard". */
  kind?: KeyKind;
  /** Integration keys: the companies the key may act for. */
  companyIds?: string[];
  /** User tokens: the user. */
  userId?: string | null;
}

/** A freshly made secret and what the store keeps of it: its HMAC, the pepper's id and a display hint. */
export interface MintedSecret {
  secret: string;
  hash: Uint8Array;
  pepperId: string;
  hint: string;
}

/** A new key id: not secret, but unguessable so ids reveal nothing about how many keys exist. */
export function newKeyId(): string {
  return `key_${randomBase62(22)}`;
}

/** A fresh secret for `environment`, hashed under the current pepper. */
export function mintSecret(hasher: KeyHasher, prefix: string, environment: Environment): MintedSecret {
  const secret = generateKey(prefix, environment);
  const parsed = parseKey(secret, prefix);
  if (parsed === "malformed") throw new Error("generated key failed its own checks");
  const digest = hasher.digest(secret);
  return { secret, hash: digest.hash, pepperId: digest.pepperId, hint: keyHint(parsed) };
}
