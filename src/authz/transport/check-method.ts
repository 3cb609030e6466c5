import { toBinary } from "@bufbuild/protobuf";
import { CheckResponseSchema } from "../../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Logger } from "../../logger.js";
import type { Metrics } from "../../metrics.js";
import { frameMessage, GrpcStatus } from "../../rpc/grpc-wire.js";
import { readCheckRequest } from "../check-request-reader.js";
import { denyResponse } from "../check-response.js";
import type { Answer, CheckAnswerer } from "../check-service.js";
import { deny } from "../decision.js";
import { answerFramed, answerStatus, armDeadline } from "./grpc-answer.js";
import { readUnary } from "./grpc-request.js";
import type { GrpcMethod } from "./grpc-router.js";

/** What the Check method needs. */
export interface CheckMethodDeps {
  check: CheckAnswerer;
  logger: Logger;
  metrics: Metrics;
}

/** The full path of ext_authz Check. */
export const CHECK_PATH = "/envoy.service.auth.v3.Authorization/Check";

/**
 * Largest Check accepted. Envoy's request headers can reach 8 MiB (max_request_headers_kb), plus a buffered
 * body when with_request_body is on; anything that large should still get a denial, not a transport error.
 */
export const MAX_CHECK_BYTES = 32 * 1024 * 1024;

const framedDenial = (message: string) =>
  frameMessage(toBinary(CheckResponseSchema, denyResponse(deny("unsupported_request", { message }))));

// A request that is not a CheckRequest, or too large to read, is denied rather than failed: Envoy treats an
// RPC error as an outage, and failure_mode_allow would let the request through.
const UNDECODABLE = framedDenial("The check request could not be decoded.");
const TOO_LARGE = framedDenial("The check request is too large.");

/**
 * ext_authz Check: the request's bytes go to the wire reader as they arrived; the answer, usually encoded
 * and framed once and shared, is sent as it is. Only faults (the database is down) and a passed deadline
 * become gRPC errors.
 */
export function checkMethod(deps: CheckMethodDeps): GrpcMethod {
  const frame = (answer: Answer): Uint8Array =>
    Buffer.isBuffer(answer) ? answer : frameMessage(toBinary(CheckResponseSchema, answer));
  return (stream, encoding, timeoutMs) => {
    const deadline = armDeadline(stream, timeoutMs);
    const send = (answer: Answer) => {
      clearTimeout(deadline);
      answerFramed(stream, frame(answer));
    };
    const fail = (err: unknown) => {
      clearTimeout(deadline);
      deps.metrics.checkErrors.inc({ protocol: "grpc" });
      deps.logger.error({ err }, "check failed");
      answerStatus(stream, GrpcStatus.UNAVAILABLE, "authorization backend unavailable");
    };
    readUnary(stream, encoding, MAX_CHECK_BYTES, (read) => {
      if (read.kind === "malformed") {
        clearTimeout(deadline);
        answerStatus(stream, GrpcStatus.INTERNAL, read.reason);
        return;
      }
      const view = read.kind === "message" ? readCheckRequest(read.bytes) : undefined;
      if (!view) {
        send(read.kind === "too-large" ? TOO_LARGE : UNDECODABLE);
        return;
      }
      try {
        const answer = deps.check.check(view);
        if (answer instanceof Promise) answer.then(send, fail);
        else send(answer);
      } catch (err) {
        fail(err);
      }
    });
  };
}
