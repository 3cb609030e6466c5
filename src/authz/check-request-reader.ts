import { isAscii, isUtf8 } from "node:buffer";

/**
 * Reads the fields of an Envoy `CheckRequest` that a decision needs, straight from its wire bytes, instead of
 * decoding the whole message. Envoy sends every request header, the peers, a timestamp and more; building
 * all of it as objects cost more than everything else a cached Check does. Here only the few strings
 * Keyward uses become strings, and request headers become strings only when looked up.
 *
 * The field numbers are those of envoy.service.auth.v3 (external_auth.proto, attribute_context.proto) and
 * envoy.config.core.v3 (address.proto, base.proto). Where it reads, the reader agrees with a full protobuf
 * decode: a singular message sent twice is merged, a later scalar wins, map entries accumulate with the later
 * key winning, a oneof switched to another case starts over, strings must be valid UTF-8 (a leading BOM is
 * dropped). It is stricter where a full decoder is lax: a known field with the wrong wire type, a nested
 * length that overruns its parent, a group, an unknown field inside a map entry, or a varint over ten bytes
 * make the request undecodable. Subtrees it never reads (the destination, metadata, TLS details) are skipped
 * by length and not inspected.
 */

/** Fields of `AttributeContext.HttpRequest` that are strings: each must hold valid UTF-8. */
const HTTP_STRING_FIELDS = new Set([1, 2, 4, 5, 6, 7, 8, 10, 11]);

/**
 * Per message, the field numbers that are strings, bytes or messages: sent with another wire type, a full
 * decoder would misread them, so the request is refused instead.
 */
const LENGTH_FIELDS = {
  checkRequest: new Set([1]),
  attributes: new Set([1, 2, 4, 10, 11, 12, 13]),
  peer: new Set([1, 2, 3, 4, 5]),
  address: new Set([1, 2, 3]),
  socketAddress: new Set([2, 4, 5]),
  request: new Set([1, 2]),
  http: new Set([...HTTP_STRING_FIELDS, 3, 12, 13]),
  headerMap: new Set([1]),
  headerValue: new Set([1, 2, 3]),
};

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/** Thrown, without a stack, when the bytes are not a CheckRequest; never leaves this module. */
const UNDECODABLE = Object.freeze({ undecodable: true });

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One `HeaderValue` of `header_map`, as a full decode would give it. */
export interface RawHeader {
  key: string;
  value: string;
  rawValue: Uint8Array;
}

/** What a CheckRequest says, as far as a decision cares. */
export class CheckRequestView {
  /** Whether `attributes` was sent. */
  hasAttributes = false;
  /** Whether `attributes.request.http` was sent. */
  hasHttp = false;
  id = "";
  method = "";
  path = "";
  /** `attributes.context_extensions`. */
  readonly contextExtensions = new Map<string, string>();
  /** `attributes.request.http.header_map.headers`, in order. */
  readonly headerMap: RawHeader[] = [];
  /** Which case of the source `Address` oneof was sent last: 1 is `socket_address`. */
  addressCase = 0;
  socketAddress = "";
  /**
   * The `headers` map, as offsets into the bytes, five numbers an entry: key start and end, value start and
   * end, and 1 when the entry holds non-ASCII bytes (compared and decoded as UTF-8, not byte by byte).
   */
  readonly headerSpans: number[] = [];

  constructor(readonly bytes: Buffer) {}

  /** The source address, when the source is an IP socket. */
  get sourceAddress(): string | null {
    return this.addressCase === 1 ? this.socketAddress : null;
  }

  /** The value of `headers[name]`, the last entry winning as in a decoded map; undefined when absent. */
  header(name: string): string | undefined {
    const spans = this.headerSpans;
    for (let i = spans.length - 5; i >= 0; i -= 5) {
      const keyStart = spans[i] as number;
      const keyEnd = spans[i + 1] as number;
      const unicode = spans[i + 4] === 1;
      if (unicode ? this.utf8(keyStart, keyEnd) !== name : !this.asciiEquals(keyStart, keyEnd, name))
        continue;
      const valueStart = spans[i + 2] as number;
      const valueEnd = spans[i + 3] as number;
      return unicode ? this.utf8(valueStart, valueEnd) : this.latin1(valueStart, valueEnd);
    }
    return undefined;
  }

  private asciiEquals(start: number, end: number, name: string): boolean {
    if (end - start !== name.length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  /** Already validated when read, so this cannot throw. */
  private utf8(start: number, end: number): string {
    return utf8.decode(this.bytes.subarray(start, end));
  }

  private latin1(start: number, end: number): string {
    return this.bytes.toString("latin1", start, end);
  }
}

/** The request's view, or undefined when the bytes are not a CheckRequest. Never throws. */
export function readCheckRequest(bytes: Buffer): CheckRequestView | undefined {
  const view = new CheckRequestView(bytes);
  const wire = new Wire(bytes);
  try {
    while (wire.next(bytes.length, LENGTH_FIELDS.checkRequest)) {
      if (wire.field === 1) {
        view.hasAttributes = true;
        readAttributes(wire, view, wire.fieldEnd);
      } else {
        wire.pos = wire.fieldEnd;
      }
    }
  } catch (err) {
    if (err === UNDECODABLE) return undefined;
    throw err;
  }
  return view;
}

/**
 * Each reader below walks one message ending at `end` with `wire.next`, reads the fields it knows, and
 * leaves the cursor at `end` (a field it reads must be read to its own end; the others are skipped).
 */
function readAttributes(wire: Wire, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.attributes)) {
    const fieldEnd = wire.fieldEnd;
    if (wire.field === 1) {
      readPeer(wire, view, fieldEnd);
    } else if (wire.field === 4) {
      readRequest(wire, view, fieldEnd);
    } else if (wire.field === 10) {
      // context_extensions: map<string, string>
      wire.mapEntry(fieldEnd);
      view.contextExtensions.set(
        wire.text(wire.keyStart, wire.keyEnd),
        wire.text(wire.valueStart, wire.valueEnd),
      );
    } else {
      wire.pos = fieldEnd;
    }
  }
}

/** `AttributeContext.Peer`: only its address (1). */
function readPeer(wire: Wire, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.peer)) {
    if (wire.field === 1) readAddress(wire, view, wire.fieldEnd);
    else wire.pos = wire.fieldEnd;
  }
}

/** `AttributeContext.Request`: only its http (2). */
function readRequest(wire: Wire, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.request)) {
    if (wire.field === 2) {
      view.hasHttp = true;
      readHttp(wire, view, wire.fieldEnd);
    } else {
      wire.pos = wire.fieldEnd;
    }
  }
}

/** `config.core.v3.Address`: a oneof of socket_address (1), pipe (2) and envoy_internal_address (3). */
function readAddress(wire: Wire, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.address)) {
    const field = wire.field;
    if (field === 1) {
      // The same case again merges into what was read; switching cases starts from an empty message.
      if (view.addressCase !== 1) view.socketAddress = "";
      view.addressCase = 1;
      readSocketAddress(wire, view, wire.fieldEnd);
    } else {
      if (field === 2 || field === 3) view.addressCase = field;
      wire.pos = wire.fieldEnd;
    }
  }
}

/** `config.core.v3.SocketAddress`: only its address (2). */
function readSocketAddress(wire: Wire, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.socketAddress)) {
    if (wire.field === 2) view.socketAddress = wire.text(wire.pos, wire.fieldEnd);
    wire.pos = wire.fieldEnd;
  }
}

/** `AttributeContext.HttpRequest`. */
function readHttp(wire: Wire, view: CheckRequestView, end: number): void {
  // One check for the whole message: when it is all ASCII, every string in it is valid UTF-8.
  const ascii = isAscii(wire.bytes.subarray(wire.pos, end));
  while (wire.next(end, LENGTH_FIELDS.http)) {
    const start = wire.pos;
    const fieldEnd = wire.fieldEnd;
    switch (wire.field) {
      case 1:
        view.id = ascii ? wire.latin1(start, fieldEnd) : wire.text(start, fieldEnd);
        break;
      case 2:
        view.method = ascii ? wire.latin1(start, fieldEnd) : wire.text(start, fieldEnd);
        break;
      case 4:
        view.path = ascii ? wire.latin1(start, fieldEnd) : wire.text(start, fieldEnd);
        break;
      case 3: {
        wire.mapEntry(fieldEnd);
        const { keyStart, keyEnd, valueStart, valueEnd } = wire;
        const unicode = !ascii && !(wire.isAscii(keyStart, keyEnd) && wire.isAscii(valueStart, valueEnd));
        if (unicode) {
          wire.validate(keyStart, keyEnd);
          wire.validate(valueStart, valueEnd);
        }
        view.headerSpans.push(keyStart, keyEnd, valueStart, valueEnd, unicode ? 1 : 0);
        break;
      }
      case 13:
        readHeaderMap(wire, view, fieldEnd);
        break;
      default:
        if (!ascii && HTTP_STRING_FIELDS.has(wire.field)) wire.validate(start, fieldEnd);
    }
    wire.pos = fieldEnd;
  }
}

/** `config.core.v3.HeaderMap`: repeated HeaderValue headers = 1 (key 1, value 2, raw_value 3). */
function readHeaderMap(wire: Wire, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.headerMap)) {
    const headerEnd = wire.fieldEnd;
    if (wire.field !== 1) {
      wire.pos = headerEnd;
      continue;
    }
    const header: RawHeader = { key: "", value: "", rawValue: new Uint8Array(0) };
    while (wire.next(headerEnd, LENGTH_FIELDS.headerValue)) {
      const start = wire.pos;
      if (wire.field === 1) header.key = wire.text(start, wire.fieldEnd);
      else if (wire.field === 2) header.value = wire.text(start, wire.fieldEnd);
      else if (wire.field === 3) header.rawValue = wire.bytes.subarray(start, wire.fieldEnd);
      wire.pos = wire.fieldEnd;
    }
    view.headerMap.push(header);
  }
}

/**
 * A cursor over protobuf wire format. Every read is bounded by the end of the message it is in; anything
 * that does not fit throws UNDECODABLE.
 */
class Wire {
  pos = 0;
  /** Where the last map entry's key and value lie (see mapEntry). */
  keyStart = 0;
  keyEnd = 0;
  valueStart = 0;
  valueEnd = 0;

  constructor(readonly bytes: Buffer) {}

  /** The field `next` stopped at, and where its payload ends. */
  field = 0;
  fieldEnd = 0;

  /**
   * Moves to the next length-delimited field of the message ending at `end`, skipping fields of other wire
   * types (a field number in `lengthOnly` sent with another wire type is refused), and answers false at the
   * end of the message. The cursor is left at the start of the field's payload.
   */
  next(end: number, lengthOnly: ReadonlySet<number>): boolean {
    while (this.pos < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const type = tag & 7;
      if (field === 0) throw UNDECODABLE;
      if (type === LENGTH) {
        this.field = field;
        this.fieldEnd = this.lengthEnd(end);
        return true;
      }
      if (lengthOnly.has(field)) throw UNDECODABLE;
      this.skip(type, end);
    }
    if (this.pos !== end) throw UNDECODABLE;
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
      if ((tag & 7) !== LENGTH) throw UNDECODABLE;
      const fieldEnd = this.lengthEnd(end);
      if (tag >>> 3 === 1) {
        this.keyStart = this.pos;
        this.keyEnd = fieldEnd;
      } else if (tag >>> 3 === 2) {
        this.valueStart = this.pos;
        this.valueEnd = fieldEnd;
      } else {
        throw UNDECODABLE;
      }
      this.pos = fieldEnd;
    }
    if (this.pos !== end) throw UNDECODABLE;
  }

  /** A string field's text: strict UTF-8, a leading BOM dropped, as a full decode reads it. */
  text(start: number, end: number): string {
    if (this.isAscii(start, end)) return this.latin1(start, end);
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw UNDECODABLE;
    }
  }

  /** Text already known to be ASCII. */
  latin1(start: number, end: number): string {
    return this.bytes.toString("latin1", start, end);
  }

  validate(start: number, end: number): void {
    if (!isUtf8(this.bytes.subarray(start, end))) throw UNDECODABLE;
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
    if (fieldEnd > end) throw UNDECODABLE;
    return fieldEnd;
  }

  /** A varint of at most five bytes that fits in 32 bits (tags and lengths), as an unsigned number. */
  private varint32(end: number): number {
    const bytes = this.bytes;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) throw UNDECODABLE;
      const b = bytes[this.pos++] as number;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (value > 0xffffffff) throw UNDECODABLE;
        return value;
      }
    }
    throw UNDECODABLE;
  }

  private skip(type: number, end: number): void {
    switch (type) {
      case VARINT:
        for (let n = 0; ; n++) {
          if (n === 10 || this.pos >= end) throw UNDECODABLE;
          if ((this.bytes[this.pos++] as number) < 0x80) return;
        }
      case FIXED64:
        this.pos += 8;
        break;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw UNDECODABLE;
    }
    if (this.pos > end) throw UNDECODABLE;
  }
}
