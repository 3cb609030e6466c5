import { type DescMethod, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition } from "@grpc/grpc-js";

/** A grpc-js method definition whose (de)serializers are protobuf-es's, for one method of a service. */
export function grpcMethod(method: DescMethod, path?: string): MethodDefinition<unknown, unknown> {
  return {
    path: path ?? `/${method.parent.typeName}/${method.name}`,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (m: unknown) => Buffer.from(toBinary(method.input, m as never)),
    requestDeserialize: (b: Buffer) => fromBinary(method.input, b),
    responseSerialize: (m: unknown) => Buffer.from(toBinary(method.output, m as never)),
    responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
    originalName: method.localName,
  };
}
