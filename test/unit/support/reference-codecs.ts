/**
 * CRC-32 (IEEE, reflected, as zlib computes it) one bit at a time, written independently of the table-driven
 * implementation under test so that a shared mistake cannot hide.
 */
export function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Decodes a most-significant-first base62 string back to a number, for checking the encoder. */
export function decodeBase62(text: string): number {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let value = 0;
  for (const ch of text) {
    const digit = alphabet.indexOf(ch);
    if (digit < 0) throw new Error(`not base62: ${ch}`);
    value = value * 62 + digit;
  }
  return value;
}
