/**
 * gRPC over HTTP/2, the parts that are plain data: message framing, status codes, `grpc-timeout` and
 * `grpc-message`, as gRPC's PROTOCOL-HTTP2 document defines them. No I/O here, so the server and the
 * `keyward status` probe share it and unit tests cover it exhaustively.
 */

/** The gRPC status codes Keyward's own server answers with. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A length-prefixed message's header: a compressed flag and a 32-bit big-endian length. */
export const FRAME_HEADER_BYTES = 5;

/** `message` framed as one uncompressed gRPC message. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

/** A message read off the wire, still compressed when `compressed` says so. */
export interface WireMessage {
  compressed: boolean;
  bytes: Buffer;
}

/** What the body of a unary call holds: its one message, or why it is not one. */
export type UnaryBody =
  | { kind: "message"; message: WireMessage }
  | { kind: "too-large" }
  | { kind: "malformed"; reason: string };

/** The declared length of the message whose header starts `body`, or -1 before five bytes have arrived. */
export function declaredLength(body: Buffer): number {
  return body.length < FRAME_HEADER_BYTES ? -1 : body.readUInt32BE(1);
}

/**
 * The single message of a unary request body. gRPC allows nothing else on a unary call: no message, a
 * message cut short, a second message (or trailing bytes) and an unknown flag are all malformed.
 */
export function unaryMessage(body: Buffer, limit: number): UnaryBody {
  if (body.length === 0) return { kind: "malformed", reason: "no request message" };
  if (body.length < FRAME_HEADER_BYTES) return { kind: "malformed", reason: "request message cut short" };
  const flag = body[0] as number;
  if (flag > 1) return { kind: "malformed", reason: "invalid compressed flag" };
  const length = body.readUInt32BE(1);
  if (length > limit) return { kind: "too-large" };
  const end = FRAME_HEADER_BYTES + length;
  if (body.length < end) return { kind: "malformed", reason: "request message cut short" };
  if (body.length > end)
    return { kind: "malformed", reason: "more than one request message on a unary call" };
  return {
    kind: "message",
    message: { compressed: flag === 1, bytes: body.subarray(FRAME_HEADER_BYTES, end) },
  };
}

/** Splits a stream of bytes into gRPC messages as chunks arrive (for streaming calls). */
export class MessageSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly limit: number) {}

  /** Adds `chunk`; returns the messages it completed, or why the stream is broken. */
  push(chunk: Buffer): WireMessage[] | { kind: "too-large" } | { kind: "malformed"; reason: string } {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: WireMessage[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const flag = this.pending[0] as number;
      if (flag > 1) return { kind: "malformed", reason: "invalid compressed flag" };
      const length = this.pending.readUInt32BE(1);
      if (length > this.limit) return { kind: "too-large" };
      const end = FRAME_HEADER_BYTES + length;
      if (this.pending.length < end) break;
      out.push({ compressed: flag === 1, bytes: this.pending.subarray(FRAME_HEADER_BYTES, end) });
      this.pending = this.pending.subarray(end);
    }
    return out;
  }

  /** True when the stream ended between messages, not inside one. */
  get clean(): boolean {
    return this.pending.length === 0;
  }
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 1e-6 };

/**
 * `grpc-timeout` in milliseconds: at most 8 digits and a unit (H, M, S, m, u, n). Undefined when the header
 * is absent, NaN when it is malformed.
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const unit = TIMEOUT_UNIT_MS[value.charAt(value.length - 1)];
  const digits = value.slice(0, -1);
  if (unit === undefined || digits.length === 0 || digits.length > 8 || !/^\d+$/.test(digits))
    return Number.NaN;
  return Number(digits) * unit;
}

/**
 * `grpc-message` as the protocol wants it: UTF-8, with every byte outside printable ASCII, and `%` itself,
 * percent-encoded.
 */
export function encodeGrpcMessage(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The inverse of `encodeGrpcMessage`, lenient as the protocol asks: a bad escape is kept as it is. */
export function decodeGrpcMessage(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(value[i] as string, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * The subtype of a gRPC content type: "" for `application/grpc`, "proto" for `application/grpc+proto`
 * (parameters after `;` ignored); undefined when the content type is not gRPC at all.
 */
export function grpcContentSubtype(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !contentType.startsWith("application/grpc")) return undefined;
  const rest = contentType.slice(16).split(";", 1)[0]?.trim() ?? "";
  if (rest === "") return "";
  return rest.startsWith("+") ? rest.slice(1).toLowerCase() : undefined;
}
