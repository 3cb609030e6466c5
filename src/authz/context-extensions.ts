import { BoundedMemo } from "./bounded-memo.js";
import type { WireReader } from "./wire-reader.js";

/** No extensions: what a request without any reads as. */
export const NO_EXTENSIONS: ReadonlyMap<string, string> = new Map();

/** Longest set of entries kept, in bytes: larger ones are decoded on every request and never kept. */
const MAX_KEPT_BYTES = 4096;

/**
 * Decoded sets by their entries' bytes (as latin1 text, one character a byte), at most 256 distinct ones:
 * Envoy sends one per route, the same bytes on every request.
 */
export const keptExtensions = new BoundedMemo<string, ReadonlyMap<string, string>>(256);

/**
 * `attributes.context_extensions`, from the byte spans of its map entries (start and end of each whole
 * entry, tag included, in the order sent). The same bytes always decode to the same map, so a set seen
 * before is answered from what was decoded then: one string made, instead of every key and value. The map
 * returned may be shared between requests and is never changed. Throws MALFORMED_WIRE as `wire` does.
 */
export function readContextExtensions(
  wire: WireReader,
  spans: readonly number[],
): ReadonlyMap<string, string> {
  if (spans.length === 0) return NO_EXTENSIONS;
  let size = 0;
  for (let i = 0; i < spans.length; i += 2) size += (spans[i + 1] as number) - (spans[i] as number);
  if (size > MAX_KEPT_BYTES) return decode(wire, spans);
  let text = "";
  for (let i = 0; i < spans.length; i += 2) text += wire.latin1(spans[i] as number, spans[i + 1] as number);
  const known = keptExtensions.get(text);
  if (known) return known;
  const decoded = decode(wire, spans);
  keptExtensions.set(text, decoded);
  return decoded;
}

/** Every entry, a later key winning as in a decoded map; each string strict UTF-8. */
function decode(wire: WireReader, spans: readonly number[]): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < spans.length; i += 2) {
    const end = spans[i + 1] as number;
    wire.pos = spans[i] as number;
    while (wire.next(end, ENTRY_FIELD)) {
      wire.mapEntry(wire.fieldEnd);
      map.set(wire.text(wire.keyStart, wire.keyEnd), wire.text(wire.valueStart, wire.valueEnd));
    }
  }
  return map;
}

/** The field number of `context_extensions` in `AttributeContext`: every span holds only such entries. */
const ENTRY_FIELD: ReadonlySet<number> = new Set([10]);
