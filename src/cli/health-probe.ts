import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  type HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";
import { decodeGrpcMessage, frameMessage, unaryMessage } from "../rpc/grpc-wire.js";

/** What grpc.health.v1.Health/Check said, or why there was no answer. */
export type ProbeResult = { ok: true; status: ServingStatus } | { ok: false; reason: string };

/**
 * One grpc.health.v1.Health/Check for the whole server ("") over h2c, on a fresh connection, within
 * `timeoutMs`. A client of a few lines on node:http2 and Keyward's gRPC framing, so the CLI needs no gRPC library.
 */
export function probeHealth(authority: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const session = http2.connect(`http://${authority}`);
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: "no answer in time" }), timeoutMs);
    session.on("error", (err) => finish({ ok: false, reason: err.message }));
    const req = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": `${timeoutMs}m`,
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message = "";
    const readStatus = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) message = decodeGrpcMessage(String(headers["grpc-message"]));
    };
    req.on("response", readStatus);
    req.on("trailers", readStatus);
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", (err) => finish({ ok: false, reason: err.message }));
    req.on("end", () => {
      if (status !== "0")
        return finish({ ok: false, reason: `grpc-status ${status ?? "missing"} ${message}`.trim() });
      const body = unaryMessage(Buffer.concat(chunks), 1024);
      if (body.kind !== "message" || body.message.compressed)
        return finish({ ok: false, reason: "unreadable answer" });
      finish({ ok: true, status: fromBinary(HealthCheckResponseSchema, body.message.bytes).status });
    });
    req.end(frameMessage(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {}))));
  });
}
