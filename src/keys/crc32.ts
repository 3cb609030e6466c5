/** CRC-32 as in zlib (IEEE 802.3, reflected polynomial 0xEDB88320). */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of the UTF-8 bytes of `input`, as an unsigned 32-bit integer. */
export function crc32(input: string): number {
  return crc32Range(input, 0, input.length);
}

/** The CRC-32 of `input.slice(start, end)`, without making the slice. */
export function crc32Range(input: string, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    const code = input.charCodeAt(i);
    // Keys are ASCII, where a character is its own UTF-8 byte; anything else takes the encoding path.
    if (code > 0x7f) return crc32Bytes(Buffer.from(input.slice(start, end), "utf8"));
    crc = (TABLE[(crc ^ code) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function crc32Bytes(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
