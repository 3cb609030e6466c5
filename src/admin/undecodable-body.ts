import { type DescMessage, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  createAsyncIterable,
  readAllBytes,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { isByteStream, protocolErrorResponse } from "./protocol-error.js";

/** Connect's unary binary form, and gRPC's and gRPC-Web's binary forms (enveloped messages). */
const CONNECT_PROTO = /^application\/proto(;|$)/i;
const ENVELOPED_PROTO = /^application\/grpc(-web)?(\+proto)?(;|$)/i;
const COMPRESSIONS = [compressionGzip, compressionBrotli];

/** What a caller is told: the decoder's own words (offsets, wire types) describe its internals. */
export const UNDECODABLE_MESSAGE = "the request message cannot be decoded";

/**
 * Makes the router's unary handlers answer INVALID_ARGUMENT to a binary request message protobuf cannot
 * decode (cut short, a length past its end, a bad wire type), over Connect, gRPC and gRPC-Web alike. Connect
 * decodes the message before any interceptor runs and calls a failure INTERNAL, naming the decoder's error;
 * but a message that cannot be decoded is the caller's fault and says nothing about the server. Anything
 * this check cannot read as framed messages (a bad envelope, an unknown encoding) goes to Connect unchanged.
 * Admin requests are small and rare, so decoding twice costs nothing that matters.
 */
export function refuseUndecodableMessages(router: ConnectRouter, readMaxBytes: number): void {
  router.handlers.forEach((handler, i) => {
    if (handler.method.methodKind === "unary") router.handlers[i] = checked(handler, readMaxBytes);
  });
}

function checked(handler: UniversalHandler, readMaxBytes: number): UniversalHandler {
  const check = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const type = req.header.get("content-type") ?? "";
    const enveloped = ENVELOPED_PROTO.test(type);
    const body = req.body;
    if (req.method !== "POST" || !(enveloped || CONNECT_PROTO.test(type)) || !isByteStream(body)) {
      return handler(req);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readAllBytes(body, readMaxBytes, req.header.get("content-length"));
    } catch (err) {
      return protocolErrorResponse(type, ConnectError.from(err));
    }
    const messages = enveloped
      ? await envelopes(bytes, req.header.get("grpc-encoding"), readMaxBytes)
      : await decompressed(bytes, req.header.get("content-encoding"), readMaxBytes);
    if (messages?.some((message) => !decodes(handler.method.input, message))) {
      return protocolErrorResponse(type, new ConnectError(UNDECODABLE_MESSAGE, Code.InvalidArgument));
    }
    return handler({ ...req, body: createAsyncIterable([bytes]) });
  };
  return Object.assign(check, handler);
}

function decodes(schema: DescMessage, bytes: Uint8Array): boolean {
  try {
    fromBinary(schema, bytes);
    return true;
  } catch {
    return false;
  }
}

/** The messages of a gRPC body, decompressed; undefined when it is not cleanly framed. */
async function envelopes(
  bytes: Uint8Array,
  encoding: string | null,
  readMaxBytes: number,
): Promise<Uint8Array[] | undefined> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 5 > bytes.length) return undefined;
    const flag = view.getUint8(at);
    const end = at + 5 + view.getUint32(at + 1);
    if (end > bytes.length || flag > 1) return undefined;
    const message = bytes.subarray(at + 5, end);
    const plain = flag === 1 ? await decompressed(message, encoding, readMaxBytes) : [message];
    if (!plain) return undefined;
    out.push(...plain);
    at = end;
  }
  return out;
}

/** `bytes` decoded from `encoding` (none or identity: as they are); undefined when that fails. */
async function decompressed(
  bytes: Uint8Array,
  encoding: string | null,
  readMaxBytes: number,
): Promise<Uint8Array[] | undefined> {
  if (encoding === null || encoding === "identity") return [bytes];
  const compression = COMPRESSIONS.find((c) => c.name === encoding);
  try {
    return compression ? [await compression.decompress(bytes, readMaxBytes)] : undefined;
  } catch {
    return undefined;
  }
}
