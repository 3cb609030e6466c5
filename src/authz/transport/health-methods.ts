import type { ServerHttp2Stream } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";
import { GrpcStatus } from "../../rpc/grpc-wire.js";
import { type HealthSource, ServingStatus } from "../../rpc/health.js";
import { answerMessage, answerStatus, answerUnreadable, StreamingAnswer } from "./grpc-answer.js";
import { readUnary } from "./grpc-request.js";
import type { GrpcMethod } from "./grpc-router.js";

/** No health request comes near this. */
const MAX_HEALTH_BYTES = 4096;

/** Reads a unary HealthCheckRequest and hands it on; a request that does not decode is INTERNAL. */
function withRequest(
  stream: ServerHttp2Stream,
  encoding: string | undefined,
  then: (req: HealthCheckRequest) => void,
): void {
  readUnary(stream, encoding, MAX_HEALTH_BYTES, (read) => {
    if (read.kind !== "message") return answerUnreadable(stream, read);
    let req: HealthCheckRequest;
    try {
      req = fromBinary(HealthCheckRequestSchema, read.bytes);
    } catch {
      return answerStatus(stream, GrpcStatus.INTERNAL, "the request is not a HealthCheckRequest");
    }
    then(req);
  });
}

const encodeStatus = (status: ServingStatus) =>
  toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status }));

/**
 * grpc.health.v1.Health: Check, List, and Watch, which streams every change of the service's status (readiness,
 * then NOT_SERVING on shutdown) until the client leaves; `open` holds the watches still running.
 */
export function healthMethods(health: HealthSource, open: Set<StreamingAnswer>): [string, GrpcMethod][] {
  const check: GrpcMethod = (stream, encoding) =>
    withRequest(stream, encoding, (req) => {
      const status = health.get(req.service);
      if (status === undefined) answerStatus(stream, GrpcStatus.NOT_FOUND, "unknown service");
      else answerMessage(stream, encodeStatus(status));
    });
  const list: GrpcMethod = (stream, encoding) =>
    readUnary(stream, encoding, MAX_HEALTH_BYTES, (read) => {
      if (read.kind !== "message") return answerUnreadable(stream, read);
      const statuses = Object.fromEntries(
        [...health.all()].map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })]),
      );
      answerMessage(
        stream,
        toBinary(HealthListResponseSchema, create(HealthListResponseSchema, { statuses })),
      );
    });
  const watch: GrpcMethod = (stream, encoding, timeoutMs) =>
    withRequest(stream, encoding, (req) => {
      const answer = new StreamingAnswer(stream);
      answer.expireAfter(timeoutMs);
      const onChange = (service: string, status: ServingStatus) => {
        if (service === req.service) answer.send(encodeStatus(status));
      };
      open.add(answer);
      health.on("change", onChange);
      stream.once("close", () => {
        health.off("change", onChange);
        open.delete(answer);
      });
      answer.send(encodeStatus(health.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN));
    });
  return [
    ["/grpc.health.v1.Health/Check", check],
    ["/grpc.health.v1.Health/List", list],
    ["/grpc.health.v1.Health/Watch", watch],
  ];
}
