import type { Environment } from "./format.js";

/** What a key is: an ordinary single-company key, an integration key, or a user's token. */
export type KeyKind = "standard" | "integration" | "user";

/** A key's lifecycle state. */
export type KeyStatus = "active" | "suspended" | "revoked";

/** Rate limit: `requests` per `windowMs`, plus `burst` extra at once. */
export interface RateLimitSpec {
  requests: number;
  windowMs: number;
  burst: number;
}

/** Everything Keyward knows about a key, as the store holds it. Never the key itself. */
export interface KeyRecord {
  id: string;
  /** The owning company; for a user token, the user's default company. */
  companyId: string;
  kind: KeyKind;
  /** Integration keys: the companies the key may act for. */
  companyIds: string[];
  /** User tokens: the user. */
  userId: string | null;
  name: string;
  environment: Environment;
  status: KeyStatus;
  scopes: string[];
  ipAllowlist: string[];
  metadata: Record<string, string>;
  tags: string[];
  hint: string;
  keyHash: Uint8Array;
  pepperId: string;
  rateLimit: RateLimitSpec | null;
  expireTime: Date | null;
  createTime: Date;
  updateTime: Date;
  lastUsedTime: Date | null;
  revokeTime: Date | null;
  revokeReason: string | null;
  suspendReason: string | null;
  rotatedFromKeyId: string | null;
  rotatedToKeyId: string | null;
  revision: number;
}

/** The fields a change to an existing key may set; what it leaves out stays as it is. */
export type KeyPatch = Partial<
  Pick<
    KeyRecord,
    | "name"
    | "scopes"
    | "metadata"
    | "tags"
    | "ipAllowlist"
    | "expireTime"
    | "rateLimit"
    | "companyIds"
    | "status"
    | "suspendReason"
    | "revokeTime"
    | "revokeReason"
    | "rotatedToKeyId"
  >
>;
/** A user's membership in a company, as a token reads it: the company and the scopes it granted there. */
export interface MemberGrant {
  companyId: string;
  scopes: readonly string[];
}
