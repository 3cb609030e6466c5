import type { NewKeyRow } from "../store/schema/keys.js";
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

/** A new key id: not secret, but unguessable so ids reveal nothing about how many keys exist. */
export function newKeyId(): string {
  return `key_${randomBase62(22)}`;
}

/** A fresh secret and the row that stores it (hash and hint only). */
export function mintKey(
  spec: KeySpec,
  hasher: KeyHasher,
  prefix: string,
  now: Date,
  extra: Partial<NewKeyRow> = {},
): { secret: string; row: NewKeyRow } {
  const secret = generateKey(prefix, spec.environment);
  const parsed = parseKey(secret, prefix);
  if (parsed === "malformed") throw new Error("generated key failed its own checks");
  const digest = hasher.digest(secret);
  const row: NewKeyRow = {
    id: newKeyId(),
    company_id: spec.companyId,
    name: spec.name,
    environment: spec.environment,
    status: "active",
    scopes: spec.scopes,
    ip_allowlist: spec.ipAllowlist,
    metadata: JSON.stringify(spec.metadata),
    tags: spec.tags,
    key_hash: digest.hash,
    pepper_id: digest.pepperId,
    hint: keyHint(parsed),
    rate_limit: spec.rateLimit ? JSON.stringify(spec.rateLimit) : null,
    expire_time: spec.expireTime,
    create_time: now,
    update_time: now,
    kind: spec.kind ?? "standard",
    company_ids: spec.companyIds ?? [],
    user_id: spec.userId ?? null,
    ...extra,
  };
  return { secret, row };
}
