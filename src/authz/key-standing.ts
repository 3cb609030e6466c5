import { cidrContains } from "../keys/cidr.js";
import type { DenyCode } from "./decision.js";
import type { VerifiedKey } from "./verified-key.js";

/**
 * Whether a stored key may be used at all, right now, from `sourceIp`: its status, its expiry and its IP
 * allowlist. The Check decision and admin authentication both ask this, in this order.
 */
export function keyStanding(key: VerifiedKey, sourceIp: Uint8Array | null, now: number): DenyCode | null {
  if (key.status === "revoked") return "revoked_key";
  if (key.status === "suspended") return "suspended_key";
  if (key.expireAt !== null && key.expireAt <= now) return "expired_key";
  if (key.ipRestricted && (!sourceIp || !key.ipAllowlist.some((cidr) => cidrContains(cidr, sourceIp)))) {
    return "ip_not_allowed";
  }
  return null;
}
