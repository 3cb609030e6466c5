import { randomBytes } from "node:crypto";

/** The base62 alphabet keys are written in: digits, then upper case, then lower case. */
export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const IS_BASE62 = new Uint8Array(128);
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62.length; i++) {
  IS_BASE62[BASE62.charCodeAt(i)] = 1;
  DIGIT[BASE62.charCodeAt(i)] = i;
}

/** The value of one base62 character code, or -1 when it is not one. */
export function base62Digit(code: number): number {
  return code < 128 ? (DIGIT[code] as number) : -1;
}

/** Whether every character of `s` is in the base62 alphabet. */
export function isBase62(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (IS_BASE62[s.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/**
 * `length` characters, each drawn uniformly from the alphabet by the CSPRNG. Rejection sampling (bytes >= 248
 * are thrown away) keeps the draw unbiased: 248 = 4 * 62.
 */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length + 8)) {
      if (byte >= 248) continue;
      out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** `value` (a non-negative integer) in base62, most significant digit first, left-padded with "0". */
export function encodeBase62(value: number, width: number): string {
  let out = "";
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, "0");
}
