import type { ServerHttp2Stream } from "node:http2";
import { GrpcStatus, grpcContentSubtype, parseGrpcTimeout } from "../../rpc/grpc-wire.js";
import { answerStatus } from "./grpc-answer.js";
import { ACCEPT_ENCODING, acceptsEncoding } from "./grpc-request.js";
import type { StreamHandler } from "./h2c-listener.js";

/**
 * One gRPC method. The router has checked the call: `encoding` is one this server reads, and `timeoutMs`
 * is the client's `grpc-timeout` (undefined without one).
 */
export type GrpcMethod = (
  stream: ServerHttp2Stream,
  encoding: string | undefined,
  timeoutMs: number | undefined,
) => void;

/**
 * Routes each HTTP/2 stream: gRPC calls (content type `application/grpc…`) to their method by path, anything
 * else to `other` (when given; 415 otherwise). The plain `application/grpc` Check takes the first branch
 * of every test on its way.
 */
export function grpcRouter(methods: ReadonlyMap<string, GrpcMethod>, other?: StreamHandler): StreamHandler {
  return (stream, headers, rawHeaders) => {
    const contentType = headers["content-type"];
    const subtype = contentType === "application/grpc" ? "" : grpcContentSubtype(contentType);
    if (subtype === undefined) {
      if (other) other(stream, headers, rawHeaders);
      else refuseNonGrpc(stream);
      return;
    }
    const path = headers[":path"] ?? "";
    const method = methods.get(path);
    const encoding = headers["grpc-encoding"] as string | undefined;
    const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
    if (method === undefined) {
      answerStatus(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
    } else if (headers[":method"] !== "POST") {
      answerStatus(stream, GrpcStatus.UNIMPLEMENTED, "gRPC calls are POST requests");
    } else if (subtype !== "" && subtype !== "proto") {
      answerStatus(
        stream,
        GrpcStatus.UNIMPLEMENTED,
        `content type ${contentType} is not served, only protobuf`,
      );
    } else if (!acceptsEncoding(encoding)) {
      answerStatus(stream, GrpcStatus.UNIMPLEMENTED, `grpc-encoding ${encoding} is not supported`, {
        "grpc-accept-encoding": ACCEPT_ENCODING,
      });
    } else if (Number.isNaN(timeoutMs)) {
      answerStatus(stream, GrpcStatus.INTERNAL, "malformed grpc-timeout");
    } else {
      method(stream, encoding, timeoutMs);
    }
  };
}

/** A plain HTTP/2 request where only gRPC is served: 415, as gRPC's HTTP/2 protocol asks. */
function refuseNonGrpc(stream: ServerHttp2Stream): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ":status": 415, "content-type": "text/plain; charset=utf-8" });
  stream.end("this port serves gRPC (application/grpc)\n");
  stream.resume();
}
