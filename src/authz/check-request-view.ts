import { NO_EXTENSIONS } from "./context-extensions.js";
import { equalsAscii } from "./wire-reader.js";

/** Strict, as a protobuf string must be: the reader has validated every span this decodes. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One `HeaderValue` of `header_map`, as a full decode would give it. */
export interface RawHeader {
  key: string;
  value: string;
  rawValue: Uint8Array;
}

const NO_SPANS: readonly number[] = [];

/** What a CheckRequest says, as far as a decision cares. */
export class CheckRequestView {
  /** Whether `attributes` was sent. */
  hasAttributes = false;
  /** Whether `attributes.request.http` was sent. */
  hasHttp = false;
  method = "";
  path = "";
  /** `attributes.context_extensions`; possibly shared with other requests, so never changed. */
  contextExtensions: ReadonlyMap<string, string> = NO_EXTENSIONS;
  /** `attributes.request.http.header_map.headers`, in order. */
  readonly headerMap: RawHeader[] = [];
  /** Which case of the source `Address` oneof was sent last: 1 is `socket_address`. */
  addressCase = 0;
  socketAddress = "";
  /**
   * The `headers` map, as offsets into the bytes, five numbers an entry: key start and end, value start and
   * end, and 1 when the entry holds non-ASCII bytes (compared and decoded as UTF-8, not byte by byte).
   */
  headerSpans: readonly number[] = NO_SPANS;

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
      if (unicode ? this.utf8(keyStart, keyEnd) !== name : !equalsAscii(this.bytes, keyStart, keyEnd, name))
        continue;
      const valueStart = spans[i + 2] as number;
      const valueEnd = spans[i + 3] as number;
      return unicode ? this.utf8(valueStart, valueEnd) : this.latin1(valueStart, valueEnd);
    }
    return undefined;
  }

  /** Already validated when read, so this cannot throw. */
  private utf8(start: number, end: number): string {
    return utf8.decode(this.bytes.subarray(start, end));
  }

  private latin1(start: number, end: number): string {
    return this.bytes.toString("latin1", start, end);
  }
}
