import type { RequestFacts } from "../../../src/authz/request-facts.js";
import { NO_REQUIREMENTS } from "../../../src/authz/route-settings.js";
import { type VerifiedKey, verifiedKey } from "../../../src/authz/verified-key.js";
import { parseAddress } from "../../../src/keys/cidr.js";
import type { KeyRecord } from "../../../src/keys/key-record.js";

export const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

/** A stored key as the store would return it: active, live, company acme, no restrictions. */
export function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: "key_1",
    companyId: "acme",
    kind: "standard",
    companyIds: [],
    userId: null,
    name: "test key",
    environment: "live",
    status: "active",
    scopes: ["candidates:read", "jobs:*"],
    ipAllowlist: [],
    metadata: {},
    tags: [],
    hint: "sk_live_…abcd",
    keyHash: new Uint8Array(32),
    pepperId: "00000000",
    rateLimit: null,
    expireTime: null,
    createTime: new Date(NOW - 86_400_000),
    updateTime: new Date(NOW - 86_400_000),
    lastUsedTime: null,
    revokeTime: null,
    revokeReason: null,
    suspendReason: null,
    rotatedFromKeyId: null,
    rotatedToKeyId: null,
    leak: null,
    revision: 1,
    ...overrides,
  };
}

export function key(overrides: Partial<KeyRecord> = {}): VerifiedKey {
  return verifiedKey(keyRecord(overrides));
}

/** Facts of a clean request from 203.0.113.7 with a credential and no route requirements. */
export function requestFactsFor(overrides: Partial<RequestFacts> = {}): RequestFacts {
  const clean = {
    problem: null,
    credential: "credential",
    sourceIp: parseAddress("203.0.113.7") ?? null,
    sourceAddress: "203.0.113.7",
    sourceKey: "203.0.113.7",
    method: "GET",
    path: "/",
    companySelector: null,
    routeCompany: undefined,
    route: NO_REQUIREMENTS,
  };
  return { ...clean, ...overrides };
}
