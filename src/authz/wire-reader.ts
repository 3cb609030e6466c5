import { isUtf8 } from "node:buffer";

/** Wire types (protobuf encoding): the ones a CheckRequest may carry; groups are refused. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/**
 * Thrown, without a stack, when the bytes do not follow the wire format; the reader built on this cursor
 * catches it and reports the request undecodable.
 */
export const MALFORMED_WIRE = Object.freeze({ undecodable: true });

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether `bytes` from `start` to `end` are exactly the ASCII `text`: compared in place, no string made. */
export function equalsAscii(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * A cursor over protobuf wire format. Every read is bounded by the end of the message it is in; anything
 * that does not fit throws MALFORMED_WIRE.
 */
export class WireReader {
  pos = 0;
  /** Where the last map entry's key and value lie (see mapEntry). */
  keyStart = 0;
  keyEnd = 0;
  valueStart = 0;
  valueEnd = 0;

  constructor(readonly bytes: Buffer) {}

  /** The field `next` stopped at: where its tag starts, its number, and where its payload ends. */
  fieldStart = 0;
  field = 0;
  fieldEnd = 0;

  /**
   * Moves to the next length-delimited field of the message ending at `end`, skipping fields of other wire
   * types (a field number in `lengthOnly` sent with another wire type is refused), and answers false at the
   * end of the message. The cursor is left at the start of the field's payload.
   */
  next(end: number, lengthOnly: ReadonlySet<number>): boolean {
    while (this.pos < end) {
      const start = this.pos;
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const type = tag & 7;
      if (field === 0) throw MALFORMED_WIRE;
      if (type === LENGTH) {
        this.fieldStart = start;
        this.field = field;
        this.fieldEnd = this.lengthEnd(end);
        return true;
      }
      if (lengthOnly.has(field)) throw MALFORMED_WIRE;
      this.skip(type, end);
    }
    if (this.pos !== end) throw MALFORMED_WIRE;
    return false;
  }

  /**
   * Reads a `map<string, string>` entry whose payload ends at `end` into keyStart/keyEnd and
   * valueStart/valueEnd (empty when absent; a later key or value wins). The cursor ends after the entry.
   */
  mapEntry(end: number): void {
    this.keyStart = this.keyEnd = this.valueStart = this.valueEnd = this.pos;
    while (this.pos < end) {
      const tag = this.varint32(end);
      if ((tag & 7) !== LENGTH) throw MALFORMED_WIRE;
      const fieldEnd = this.lengthEnd(end);
      if (tag >>> 3 === 1) {
        this.keyStart = this.pos;
        this.keyEnd = fieldEnd;
      } else if (tag >>> 3 === 2) {
        this.valueStart = this.pos;
        this.valueEnd = fieldEnd;
      } else {
        throw MALFORMED_WIRE;
      }
      this.pos = fieldEnd;
    }
    if (this.pos !== end) throw MALFORMED_WIRE;
  }

  /** A string field's text: strict UTF-8, a leading BOM dropped, as a full decode reads it. */
  text(start: number, end: number): string {
    if (this.isAscii(start, end)) return this.latin1(start, end);
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw MALFORMED_WIRE;
    }
  }

  /** Text already known to be ASCII. */
  latin1(start: number, end: number): string {
    return this.bytes.toString("latin1", start, end);
  }

  validate(start: number, end: number): void {
    if (!isUtf8(this.bytes.subarray(start, end))) throw MALFORMED_WIRE;
  }

  isAscii(start: number, end: number): boolean {
    const bytes = this.bytes;
    for (let i = start; i < end; i++) if ((bytes[i] as number) > 0x7f) return false;
    return true;
  }

  /** Reads a length prefix; the end of the payload it announces, which must lie within `end`. */
  private lengthEnd(end: number): number {
    const length = this.varint32(end);
    const fieldEnd = this.pos + length;
    if (fieldEnd > end) throw MALFORMED_WIRE;
    return fieldEnd;
  }

  /**
   * A varint of at most five bytes that fits in 32 bits (tags and lengths), as an unsigned number. The first
   * four bytes (28 bits) are read with integer shifts, so offsets stay small integers on the hot path; only
   * a fifth byte, whose bits 28–31 can pass 2^31, is added arithmetically.
   */
  private varint32(end: number): number {
    const bytes = this.bytes;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= end) throw MALFORMED_WIRE;
      const b = bytes[this.pos++] as number;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value;
    }
    if (this.pos >= end) throw MALFORMED_WIRE;
    const last = bytes[this.pos++] as number;
    // More than four bits left, or a continuation: the value does not fit in 32 bits.
    if (last > 0x0f) throw MALFORMED_WIRE;
    return value + last * 0x10000000;
  }

  private skip(type: number, end: number): void {
    switch (type) {
      case VARINT:
        for (let n = 0; ; n++) {
          if (n === 10 || this.pos >= end) throw MALFORMED_WIRE;
          if ((this.bytes[this.pos++] as number) < 0x80) return;
        }
      case FIXED64:
        this.pos += 8;
        break;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw MALFORMED_WIRE;
    }
    if (this.pos > end) throw MALFORMED_WIRE;
  }
}
