import { isAscii } from "node:buffer";
import { CheckRequestView, type RawHeader } from "./check-request-view.js";
import { readContextExtensions } from "./context-extensions.js";
import { equalsAscii, MALFORMED_WIRE, WireReader } from "./wire-reader.js";

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

/** The request's view, or undefined when the bytes are not a CheckRequest. Never throws. */
export function readCheckRequest(bytes: Buffer): CheckRequestView | undefined {
  const view = new CheckRequestView(bytes);
  const wire = new WireReader(bytes);
  const extensions: number[] = [];
  headerSpans.count = 0;
  try {
    while (wire.next(bytes.length, LENGTH_FIELDS.checkRequest)) {
      if (wire.field === 1) {
        view.hasAttributes = true;
        readAttributes(wire, view, wire.fieldEnd, extensions);
      } else {
        wire.pos = wire.fieldEnd;
      }
    }
    view.contextExtensions = readContextExtensions(wire, extensions);
    view.headerSpans = headerSpans.take();
  } catch (err) {
    if (err === MALFORMED_WIRE) return undefined;
    throw err;
  }
  return view;
}

/**
 * The `headers` entries' spans of the request being read (see CheckRequestView.headerSpans), gathered in
 * one array kept from request to request and copied out at the end into an array of exactly their size:
 * grown entry by entry, each request's array was most of what a cached Check allocated. Reading is
 * synchronous, so one list serves every request; one grown past a few hundred headers is not kept.
 */
class SpanList {
  private values: number[] = [];
  count = 0;

  add(keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, unicode: 0 | 1): void {
    const values = this.values;
    values[this.count] = keyStart;
    values[this.count + 1] = keyEnd;
    values[this.count + 2] = valueStart;
    values[this.count + 3] = valueEnd;
    values[this.count + 4] = unicode;
    this.count += 5;
  }

  /** The spans gathered, in a new array; the list starts over. */
  take(): number[] {
    const taken = this.values.slice(0, this.count);
    if (this.values.length > MAX_KEPT_SPANS) this.values = [];
    this.count = 0;
    return taken;
  }
}

const MAX_KEPT_SPANS = 5 * 512;
const headerSpans = new SpanList();

/**
 * Each reader below walks one message ending at `end` with `wire.next`, reads the fields it knows, and
 * leaves the cursor at `end` (a field it reads must be read to its own end; the others are skipped).
 */
function readAttributes(wire: WireReader, view: CheckRequestView, end: number, extensions: number[]): void {
  while (wire.next(end, LENGTH_FIELDS.attributes)) {
    const fieldEnd = wire.fieldEnd;
    if (wire.field === 1) {
      readPeer(wire, view, fieldEnd);
    } else if (wire.field === 4) {
      readRequest(wire, view, fieldEnd);
    } else {
      // context_extensions (10), a map<string, string>: each whole entry's span, read once all are known.
      if (wire.field === 10) addSpan(extensions, wire.fieldStart, fieldEnd);
      wire.pos = fieldEnd;
    }
  }
}

/** Adds a span of bytes to `spans` (start and end in turn), joined to the last one when it follows on. */
function addSpan(spans: number[], start: number, end: number): void {
  if (spans.length > 0 && spans[spans.length - 1] === start) spans[spans.length - 1] = end;
  else spans.push(start, end);
}

/** `AttributeContext.Peer`: only its address (1). */
function readPeer(wire: WireReader, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.peer)) {
    if (wire.field === 1) readAddress(wire, view, wire.fieldEnd);
    else wire.pos = wire.fieldEnd;
  }
}

/** `AttributeContext.Request`: only its http (2). */
function readRequest(wire: WireReader, view: CheckRequestView, end: number): void {
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
function readAddress(wire: WireReader, view: CheckRequestView, end: number): void {
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
function readSocketAddress(wire: WireReader, view: CheckRequestView, end: number): void {
  while (wire.next(end, LENGTH_FIELDS.socketAddress)) {
    if (wire.field === 2) view.socketAddress = wire.text(wire.pos, wire.fieldEnd);
    wire.pos = wire.fieldEnd;
  }
}

/** `AttributeContext.HttpRequest`. Its id (1) is not read: it is only validated, as every string is. */
function readHttp(wire: WireReader, view: CheckRequestView, end: number): void {
  // One check for the whole message: when it is all ASCII, every string in it is valid UTF-8.
  const ascii = isAscii(wire.bytes.subarray(wire.pos, end));
  while (wire.next(end, LENGTH_FIELDS.http)) {
    const start = wire.pos;
    const fieldEnd = wire.fieldEnd;
    switch (wire.field) {
      case 2:
        view.method = ascii
          ? (commonMethod(wire, start, fieldEnd) ?? wire.latin1(start, fieldEnd))
          : wire.text(start, fieldEnd);
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
        headerSpans.add(keyStart, keyEnd, valueStart, valueEnd, unicode ? 1 : 0);
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

/** The methods nearly every request uses, as constants: reading one of them makes no string. */
const COMMON_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

function commonMethod(wire: WireReader, start: number, end: number): string | undefined {
  for (const method of COMMON_METHODS) if (equalsAscii(wire.bytes, start, end, method)) return method;
  return undefined;
}

/** `config.core.v3.HeaderMap`: repeated HeaderValue headers = 1 (key 1, value 2, raw_value 3). */
function readHeaderMap(wire: WireReader, view: CheckRequestView, end: number): void {
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
