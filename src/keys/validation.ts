import { parseCidr } from "./cidr.js";
import { isCompanyId } from "./company.js";
import { isValidScope } from "./scopes.js";

/** One bad field: `field` is the request's field path, `description` says what is wrong. */
export interface FieldViolation {
  field: string;
  description: string;
}

export const LIMITS = {
  name: 128,
  scopes: 64,
  ipAllowlist: 64,
  metadataPairs: 32,
  metadataKey: 64,
  metadataValue: 512,
  tags: 32,
  tag: 64,
  reason: 1024,
  companyIds: 1000,
} as const;

const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Collects violations; `ok` when there are none. */
export class Violations {
  readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
  get ok(): boolean {
    return this.list.length === 0;
  }
}

export function checkCompanyId(v: Violations, field: string, id: string): void {
  if (!id) v.add(field, "is required");
  else if (!isCompanyId(id))
    v.add(field, "must be 1-128 characters of letters, digits and _ . : - (starting with a letter or digit)");
}

/** An integration key's companies: at least one, each well formed, no repeats. */
export function checkCompanyIds(v: Violations, field: string, ids: readonly string[]): void {
  if (ids.length === 0) v.add(field, "must name at least one company");
  if (ids.length > LIMITS.companyIds) v.add(field, `must hold at most ${LIMITS.companyIds} companies`);
  if (new Set(ids).size !== ids.length) v.add(field, "must not repeat a company");
  ids.forEach((id, i) => {
    if (!isCompanyId(id)) v.add(`${field}[${i}]`, `"${clip(id)}" is not a company id`);
  });
}

/** Length in characters (code points), as a person counts them: an emoji is one, not two. */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function checkName(v: Violations, field: string, name: string): void {
  if (chars(name) > LIMITS.name) v.add(field, `must be at most ${LIMITS.name} characters`);
  if (/\p{Cc}/u.test(name)) v.add(field, "must not contain control characters");
}

export function checkScopes(v: Violations, field: string, scopes: readonly string[]): void {
  if (scopes.length > LIMITS.scopes) v.add(field, `must hold at most ${LIMITS.scopes} scopes`);
  scopes.forEach((s, i) => {
    if (!isValidScope(s))
      v.add(`${field}[${i}]`, `"${clip(s)}" is not a scope: use resource:action, resource:* or *`);
  });
}

export function checkIpAllowlist(v: Violations, field: string, cidrs: readonly string[]): void {
  if (cidrs.length > LIMITS.ipAllowlist) v.add(field, `must hold at most ${LIMITS.ipAllowlist} CIDRs`);
  cidrs.forEach((c, i) => {
    if (!parseCidr(c)) v.add(`${field}[${i}]`, `"${clip(c)}" is not an IPv4 or IPv6 CIDR`);
  });
}

export function checkMetadata(v: Violations, field: string, metadata: Record<string, string>): void {
  const entries = Object.entries(metadata);
  if (entries.length > LIMITS.metadataPairs) v.add(field, `must hold at most ${LIMITS.metadataPairs} pairs`);
  for (const [k, value] of entries) {
    if (k.length === 0 || chars(k) > LIMITS.metadataKey) {
      v.add(`${field}["${clip(k)}"]`, `keys must be 1-${LIMITS.metadataKey} characters`);
    }
    if (chars(value) > LIMITS.metadataValue) {
      v.add(`${field}["${clip(k)}"]`, `values must be at most ${LIMITS.metadataValue} characters`);
    }
  }
}

export function checkTags(v: Violations, field: string, tags: readonly string[]): void {
  if (tags.length > LIMITS.tags) v.add(field, `must hold at most ${LIMITS.tags} tags`);
  tags.forEach((t, i) => {
    if (!TAG_PATTERN.test(t))
      v.add(`${field}[${i}]`, `"${clip(t)}" is not a tag: 1-64 letters, digits and _ . : -`);
  });
}

export function checkEnvironment(v: Violations, field: string, env: string): void {
  if (env !== "live" && env !== "test") v.add(field, 'must be "live" or "test"');
}

/** Expiries beyond this are refused: they mean "never" (leave it unset), and far enough out break timestamps. */
const MAX_EXPIRY_MS = 100 * 365 * 86_400_000;

export function checkExpiry(v: Violations, field: string, expire: Date | null, now: number): void {
  if (expire && Number.isNaN(expire.getTime())) v.add(field, "is not a valid time");
  else if (expire && expire.getTime() <= now) v.add(field, "must be in the future");
  else if (expire && expire.getTime() > now + MAX_EXPIRY_MS) v.add(field, "must be within 100 years");
}

/** Echoes at most 64 characters of bad input back, so an error never carries a huge or hostile value whole. */
function clip(s: string): string {
  const short = s.length > 64 ? `${s.slice(0, 64)}…` : s;
  return short.replace(/[\p{Cc}"\\]/gu, "?");
}
