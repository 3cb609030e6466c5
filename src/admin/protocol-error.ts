import type { ConnectError } from "@connectrpc/connect";
import {
  createAsyncIterable,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

const GRPC = /^application\/grpc(-web)?(\+|;|$)/i;

/**
 * `error` answered in the form of the request's protocol, for checks that run before Connect's own handler:
 * gRPC and gRPC-Web get a trailers-only answer, everything else Connect's unary JSON error.
 */
export function protocolErrorResponse(contentType: string, error: ConnectError): UniversalServerResponse {
  const grpc = GRPC.exec(contentType);
  if (grpc) {
    const header = new Headers({
      "content-type": grpc[1] ? "application/grpc-web+proto" : "application/grpc",
    });
    setTrailerStatus(header, error);
    return { status: 200, header, body: createAsyncIterable([]) };
  }
  return {
    status: codeToHttpStatus(error.code),
    header: new Headers({ "content-type": "application/json" }),
    body: createAsyncIterable([errorToJsonBytes(error, {})]),
  };
}

/** Whether a request's body is still to be read (the Node adapter's form), so a check can read it first. */
export function isByteStream(body: UniversalServerRequest["body"]): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}
