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
  /** The first report of the key as leaked; null while nobody reported it. */
  leak: LeakReport | null;
  revision: number;
}

/** Who reported a key leaked: GitHub secret scanning, GitLab's revocation API, or a holder of the key. */
export type LeakReporter = "github" | "gitlab" | "self";

/** A leak report as the key keeps it: never the token, only when, who and where. */
export interface LeakReport {
  time: Date;
  reporter: LeakReporter;
  /** Where it was found (a URL), when the reporter said. */
  url: string | null;
  /** The kind of place it was found in (GitHub's `source`), when the reporter said. */
  source: string | null;
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
    | "leak"
  >
>;
/** A user's membership in a company, as a token reads it: the company and the scopes it granted there. */
export interface MemberGrant {
  companyId: string;
  scopes: readonly string[];
}
