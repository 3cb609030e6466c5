import { parseAddress } from "../keys/cidr.js";
import { BoundedMemo } from "./bounded-memo.js";

/**
 * A caller's address, normalised once: what is stored and shown (`text`), and what budgets and the keyless
 * audit count it under (`key`). IPv4 and IPv4-mapped IPv6 are the dotted quad; IPv6 is its RFC 5952 form
 * without a zone id, and counts per /64, the block one subscriber is usually given (so rotating through a
 * /64 buys no extra budget). Nothing a caller controls beyond the address itself survives: no zone id, no
 * NUL, no length beyond 39 characters.
 */
export interface SourceAddress {
  /** Shared by every request from the address: read, never changed. */
  readonly bytes: Uint8Array;
  readonly text: string;
  readonly key: string;
}

/** Addresses normalised lately, by their text as sent, at most 1,024: a sidecar sees the same few callers. */
export const recentSources = new BoundedMemo<string, SourceAddress>(1024);
/** The longest text remembered: a dotted quad or an IPv6 address with a short zone id. */
const MAX_REMEMBERED_LENGTH = 64;

/** The normalised address, or undefined when `raw` is not an IP address. */
export function sourceAddress(raw: string): SourceAddress | undefined {
  const known = recentSources.get(raw);
  if (known) return known;
  const source = normalise(raw);
  if (source && raw.length <= MAX_REMEMBERED_LENGTH) recentSources.set(raw, source);
  return source;
}

function normalise(raw: string): SourceAddress | undefined {
  const bytes = parseAddress(raw);
  if (!bytes) return undefined;
  if (isMappedIPv4(bytes)) {
    // A dotted quad as sent is already canonical (the parser refuses leading zeros): no new string.
    const text = raw.length <= 15 && !raw.includes(":") ? raw : dotted(bytes);
    return { bytes, text, key: text };
  }
  return {
    bytes,
    text: formatIPv6(groups(bytes, 8)),
    key: `${formatIPv6([...groups(bytes, 4), 0, 0, 0, 0])}/64`,
  };
}

/** `sourceAddress(raw).text`, or null for anything that is not an IP address. */
export function normalizedAddress(raw: string | null | undefined): string | null {
  return raw ? (sourceAddress(raw)?.text ?? null) : null;
}

function isMappedIPv4(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function dotted(b: Uint8Array): string {
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
}

function groups(b: Uint8Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(((b[i * 2] as number) << 8) | (b[i * 2 + 1] as number));
  return out;
}

/** RFC 5952: lower-case hex, no leading zeros, the longest run (≥ 2) of zero groups as `::`, first if tied. */
function formatIPv6(g: readonly number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < g.length; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < g.length && g[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}
