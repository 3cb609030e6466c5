import { type Cidr, parseCidr } from "../keys/cidr.js";
import type { Environment } from "../keys/format.js";
import type { KeyKind, KeyRecord, KeyStatus, MemberGrant, RateLimitSpec } from "../keys/key-record.js";
import { intersectScopes } from "../keys/scopes.js";

/**
 * What the decision needs of a key, prepared once (CIDRs parsed, times as numbers) so that a cached key
 * costs no parsing per request.
 */
export interface VerifiedKey {
  id: string;
  /** The owning company; for a user token, the user's default company. */
  companyId: string;
  kind: KeyKind;
  /**
   * The companies the key may act for besides its own: an integration key's list, or a user's current
   * memberships (read with the key, so a membership change reaches Check through the same invalidation).
   */
  actsFor: ReadonlySet<string>;
  /**
   * User tokens: per company the user belongs to, what the token may do there (its own scopes intersected
   * with the membership's). Other kinds act with their own scopes everywhere.
   */
  grants: ReadonlyMap<string, ScopeGrant>;
  environment: Environment;
  status: KeyStatus;
  scopes: readonly string[];
  /** Space-separated, as the upstream header carries it. */
  scopeHeader: string;
  /** Whether the key has an allowlist at all: a list whose entries all failed to parse still restricts. */
  ipRestricted: boolean;
  ipAllowlist: readonly Cidr[];
  /** Epoch milliseconds, or null for never. */
  expireAt: number | null;
  rateLimit: RateLimitSpec | null;
  keyHash: Uint8Array;
}

/** Scopes held while acting for one company, with the header that carries them. */
export interface ScopeGrant {
  scopes: readonly string[];
  scopeHeader: string;
}

/** Prepares a stored key for the decision. */
export function verifiedKey(record: KeyRecord, memberships: readonly MemberGrant[] = []): VerifiedKey {
  const grants = new Map<string, ScopeGrant>();
  if (record.kind === "user") {
    for (const m of memberships) {
      const scopes = intersectScopes(record.scopes, m.scopes);
      grants.set(m.companyId, { scopes, scopeHeader: scopes.join(" ") });
    }
  }
  return {
    id: record.id,
    companyId: record.companyId,
    kind: record.kind,
    actsFor: new Set(record.kind === "user" ? grants.keys() : record.companyIds),
    grants,
    environment: record.environment,
    status: record.status,
    scopes: record.scopes,
    scopeHeader: record.scopes.join(" "),
    ipRestricted: record.ipAllowlist.length > 0,
    // Stored CIDRs were validated when written; one that no longer parses matches nothing.
    ipAllowlist: record.ipAllowlist.map(parseCidr).filter((c): c is Cidr => c !== undefined),
    expireAt: record.expireTime ? record.expireTime.getTime() : null,
    rateLimit: record.rateLimit,
    keyHash: record.keyHash,
  };
}
