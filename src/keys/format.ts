import { base62Digit, encodeBase62, isBase62, randomBase62 } from "./base62.js";
import { crc32, crc32Range } from "./crc32.js";

/** Where a key may be used: production traffic or test traffic. */
export type Environment = "live" | "test";

export const ENVIRONMENTS: readonly Environment[] = ["live", "test"];

/** 43 base62 characters carry 256 bits (62^43 > 2^256). */
export const BODY_LENGTH = 43;
/** 62^6 > 2^32, so six base62 digits hold any CRC-32. */
export const CHECKSUM_LENGTH = 6;
/** The longest credential worth parsing: a 16-character prefix, "_test_", body and checksum. */
export const MAX_KEY_LENGTH = 16 + 6 + BODY_LENGTH + CHECKSUM_LENGTH;

export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/** A key that passed the offline checks: shape, alphabet and checksum. */
export interface ParsedKey {
  prefix: string;
  environment: Environment;
  /** Last four characters, for display. */
  last4: string;
}

/** Why a credential was rejected before any lookup. */
export type ParseFailure = "malformed";

/** A fresh key: `{prefix}_{environment}_{body}{checksum}`. */
export function generateKey(prefix: string, environment: Environment): string {
  const head = `${prefix}_${environment}_${randomBase62(BODY_LENGTH)}`;
  return head + checksum(head);
}

/** The base62 CRC-32 of everything before the checksum. */
export function checksum(head: string): string {
  return encodeBase62(crc32(head), CHECKSUM_LENGTH);
}

/**
 * Checks a presented credential offline. A key with the wrong shape or checksum never reaches the database,
 * so a flood of random strings costs no query. `expectedPrefix` rejects keys minted under another prefix.
 */
export function parseKey(key: string, expectedPrefix: string): ParsedKey | ParseFailure {
  if (key.length > MAX_KEY_LENGTH) return "malformed";
  const first = key.indexOf("_");
  const second = key.indexOf("_", first + 1);
  if (first <= 0 || second < 0) return "malformed";
  const prefix = key.slice(0, first);
  if (prefix !== expectedPrefix) return "malformed";
  const environment = key.slice(first + 1, second);
  if (environment !== "live" && environment !== "test") return "malformed";
  const tail = key.slice(second + 1);
  if (tail.length !== BODY_LENGTH + CHECKSUM_LENGTH || !isBase62(tail)) return "malformed";
  const head = key.slice(0, key.length - CHECKSUM_LENGTH);
  if (checksum(head) !== key.slice(-CHECKSUM_LENGTH)) return "malformed";
  return { prefix, environment, last4: key.slice(-4) };
}

/** How long every key minted under `prefix` is. */
export function keyLength(prefix: string): number {
  return prefix.length + 6 + BODY_LENGTH + CHECKSUM_LENGTH;
}

/**
 * The same verdict as `parseKey`, without building anything: the Check path only needs to know whether a
 * credential can be a key before it spends an HMAC and a lookup on it.
 */
export function isWellFormedKey(key: string, expectedPrefix: string): boolean {
  const p = expectedPrefix.length;
  const end = key.length - CHECKSUM_LENGTH;
  if (key.length !== keyLength(expectedPrefix) || !key.startsWith(expectedPrefix)) return false;
  if (key.charCodeAt(p) !== 0x5f || key.charCodeAt(p + 5) !== 0x5f) return false;
  if (!key.startsWith("live", p + 1) && !key.startsWith("test", p + 1)) return false;
  let sum = 0;
  for (let i = p + 6; i < key.length; i++) {
    const digit = base62Digit(key.charCodeAt(i));
    if (digit < 0) return false;
    if (i >= end) sum = sum * 62 + digit;
  }
  return sum === crc32Range(key, 0, end);
}

/** The display hint stored beside the hash: enough to recognise a key, useless to an attacker. */
export function keyHint(parsed: ParsedKey): string {
  return `${parsed.prefix}_${parsed.environment}_…${parsed.last4}`;
}
