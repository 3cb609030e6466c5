import { BlockList, isIP } from "node:net";

/**
 * Ranges a webhook may not target: loopback, private, link-local (cloud metadata lives there), carrier-grade
 * NAT, multicast, reserved, documentation and benchmarking ranges, and their IPv6 counterparts. A target
 * inside the operator's network is a server-side request forgery waiting to happen.
 */
const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, bits, "ipv6");
}

/** Whether `address` (an IP literal) is a public Internet address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // IPv4-mapped IPv6 is judged as the IPv4 address it carries (BlockList holds no ::ffff:0:0/96 rule: it
  // would match every IPv4 address too).
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted?.[1]) return isPublicAddress(dotted[1]);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex?.[1] && hex[2]) {
    const [hi, lo] = [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16)];
    return isPublicAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return !NOT_PUBLIC.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Why a target URL is refused, or ok. */
export type TargetVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Checks a webhook URL before any DNS: https only (http too when insecure targets are allowed), no
 * credentials in it, and an IP-literal host must be public. A host name is checked again after resolution.
 */
export function checkTargetUrl(text: string, allowInsecure: boolean): TargetVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "is not an absolute URL" };
  }
  if (text.length > 2048) return { ok: false, reason: "must be at most 2048 characters" };
  if (url.protocol !== "https:" && !(allowInsecure && url.protocol === "http:")) {
    return { ok: false, reason: "must be an https:// URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not carry credentials" };
  if (url.hash) return { ok: false, reason: "must not have a fragment" };
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!allowInsecure) {
    if (isIP(host) !== 0 && !isPublicAddress(host)) {
      return { ok: false, reason: "must point at a public address" };
    }
    if (host === "localhost" || host.endsWith(".localhost") || !host.includes(".")) {
      return { ok: false, reason: "must point at a public address" };
    }
  }
  return { ok: true, url };
}
