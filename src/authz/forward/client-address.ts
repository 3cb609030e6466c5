import { type Cidr, cidrContains, parseAddress } from "../../keys/cidr.js";

/** More hops than any real chain of proxies: past this, the header is not read at all. */
const MAX_HOPS = 64;

/**
 * The address a forward-auth request acts for. The TCP peer, unless the peer is a trusted proxy; then the
 * right-most `X-Forwarded-For` hop that is not itself a trusted proxy (each proxy appends the address it saw,
 * so everything left of the first untrusted hop may be made up by the client), else `X-Real-IP`. A header
 * from an untrusted peer is never read. Null when the address the rules pick is not an IP address: the
 * request then has no source, which no IP allowlist admits.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  realIp: string | undefined,
  trusted: readonly Cidr[],
): string | null {
  if (!peer) return null;
  const peerBytes = parseAddress(peer);
  if (!peerBytes || !isTrusted(peerBytes, trusted)) return peer;
  if (forwardedFor !== undefined) {
    const hops = forwardedFor.split(",", MAX_HOPS + 1);
    if (hops.length > MAX_HOPS) return null;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hopAddress((hops[i] as string).trim());
      if (hop === "") continue;
      const bytes = parseAddress(hop);
      if (!bytes) return null;
      if (!isTrusted(bytes, trusted)) return hop;
    }
  }
  const real = realIp?.trim();
  if (real && parseAddress(real)) return real;
  // Every hop is a trusted proxy: the request began at one of them, the left-most.
  const first = forwardedFor?.split(",", 1)[0]?.trim();
  return first && parseAddress(hopAddress(first)) ? hopAddress(first) : peer;
}

/** Whether `address` (16 bytes) lies in one of the trusted ranges. */
function isTrusted(address: Uint8Array, trusted: readonly Cidr[]): boolean {
  for (const cidr of trusted) if (cidrContains(cidr, address)) return true;
  return false;
}

/** A hop without the port some proxies add: `1.2.3.4:80` → `1.2.3.4`, `[2001:db8::1]:80` → `2001:db8::1`. */
function hopAddress(hop: string): string {
  if (hop.startsWith("[")) {
    const end = hop.indexOf("]");
    return end < 0 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(":");
  return colon >= 0 && colon === hop.lastIndexOf(":") ? hop.slice(0, colon) : hop;
}
