import { isIPv4, isIPv6 } from "node:net";

/** A parsed CIDR block; IPv4 blocks are held as IPv4-mapped IPv6 so one matcher serves both families. */
export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseAddress(addr);
  if (!bytes) return undefined;
  const max = isIPv4(addr) ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  return { bytes, prefix: max === 32 ? prefix + 96 : prefix };
}

/** A 16-byte address; IPv4 (dotted or IPv4-mapped IPv6) becomes ::ffff:a.b.c.d. Undefined when malformed. */
export function parseAddress(text: string): Uint8Array | undefined {
  const v4 = parseIPv4(text);
  if (v4) return v4;
  const zone = text.indexOf("%");
  const bare = zone < 0 ? text : text.slice(0, zone);
  if (!isIPv6(bare)) return undefined;
  return parseIPv6(bare);
}

/**
 * A dotted quad as an IPv4-mapped address, read in one pass: it runs on every Check. The rules are
 * `net.isIPv4`'s: four decimal parts of 0 to 255, no leading zeros, nothing else.
 */
function parseIPv4(text: string): Uint8Array | undefined {
  if (text.length < 7 || text.length > 15) return undefined;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[12 + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined;
      value = value * 10 + (c - 0x30);
      if (value > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function parseIPv6(text: string): Uint8Array {
  let s = text;
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two 16-bit groups.
  const lastColon = s.lastIndexOf(":");
  const quad = s.slice(lastColon + 1);
  if (quad.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.split(".").map(Number);
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [headPart = "", tailPart] = s.split("::");
  const head = headPart ? headPart.split(":") : [];
  const rest = tailPart ? tailPart.split(":") : [];
  const fill = tailPart === undefined ? 0 : 8 - head.length - rest.length;
  const groups = [...head, ...Array<string>(fill).fill("0"), ...rest];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** Whether `address` (16 bytes) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  let bits = cidr.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.bytes[i] as number) & mask) !== ((address[i] as number) & mask)) return false;
  }
  return true;
}
