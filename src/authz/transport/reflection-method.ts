import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { GrpcStatus } from "../../rpc/grpc-wire.js";
import type { ReflectionIndex } from "../../rpc/reflection.js";
import { StreamingAnswer } from "./grpc-answer.js";
import { readStream } from "./grpc-request.js";
import type { GrpcMethod } from "./grpc-router.js";

/** A reflection request names a file or a symbol; none comes near this. */
const MAX_REFLECTION_BYTES = 64 * 1024;

/**
 * gRPC server reflection, v1 and v1alpha, over the same index the admin listener uses. The two versions
 * are identical on the wire, so one method serves both paths; `open` holds the streams still running.
 */
export function reflectionMethods(
  index: ReflectionIndex,
  open: Set<StreamingAnswer>,
): [string, GrpcMethod][] {
  const method: GrpcMethod = (stream, encoding, timeoutMs) => {
    const answer = new StreamingAnswer(stream);
    answer.expireAfter(timeoutMs);
    open.add(answer);
    stream.once("close", () => open.delete(answer));
    readStream(stream, encoding, MAX_REFLECTION_BYTES, {
      onMessage(bytes) {
        let req: ServerReflectionRequest;
        try {
          req = fromBinary(ServerReflectionRequestSchema, bytes);
        } catch {
          answer.end(GrpcStatus.INTERNAL, "the request is not a ServerReflectionRequest");
          return;
        }
        answer.send(toBinary(ServerReflectionResponseSchema, index.answer(req)));
      },
      onEnd: () => answer.end(GrpcStatus.OK),
      onError: (read) =>
        answer.end(
          read.kind === "too-large" ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INTERNAL,
          read.kind === "malformed" ? read.reason : "request message too large",
        ),
    });
  };
  return [
    ["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", method],
    ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", method],
  ];
}
