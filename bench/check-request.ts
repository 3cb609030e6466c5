import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { type CheckRequest, CheckRequestSchema } from "../src/gen/envoy/service/auth/v3/external_auth_pb.js";

/** The route the bench request goes through, as Envoy's per-route `context_extensions` would say. */
export const BENCH_ROUTE = {
  scopes: "candidates:read",
  company_from: "path:/v1/companies/{company}/**",
};

/**
 * One realistic CheckRequest, filled the way Envoy's ext_authz filter fills it, carrying `secret`, from
 * `sourceIp` (the caller's address as Envoy reports it).
 */
export function benchCheckRequest(secret: string, sourceIp = "203.0.113.7"): CheckRequest {
  const path = "/v1/companies/acme/candidates?status=open&page_size=50&sort=-updated_at";
  const host = "api.example.com";
  return create(CheckRequestSchema, {
    attributes: {
      source: {
        address: { address: { case: "socketAddress", value: sockAddr(sourceIp, 51234) } },
      },
      destination: {
        address: { address: { case: "socketAddress", value: sockAddr("10.0.0.2", 8080) } },
      },
      request: {
        time: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 },
        http: {
          id: "6c2a9f0e-4a31-4f5e-9d0b-2b1f7d0c3e11",
          method: "GET",
          path,
          host,
          scheme: "http",
          protocol: "HTTP/1.1",
          query: path.slice(path.indexOf("?") + 1),
          headers: {
            ":method": "GET",
            ":path": path,
            ":authority": host,
            ":scheme": "http",
            authorization: `Bearer ${secret}`,
            accept: "application/json",
            "user-agent": "acme-ats-sync/3.4.1 (+https://acme.example)",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-proto": "https",
            "x-request-id": "6c2a9f0e-4a31-4f5e-9d0b-2b1f7d0c3e11",
            "x-envoy-expected-rq-timeout-ms": "15000",
          },
        },
      },
      contextExtensions: BENCH_ROUTE,
    },
  });
}

function sockAddr(address: string, port: number) {
  return { address, portSpecifier: { case: "portValue" as const, value: port } };
}

/** A message in gRPC's length-prefixed framing: no compression flag, 4-byte big-endian length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Writes the framed request into `dir` as h2load's `-d` body. */
export function writeRequestBody(request: CheckRequest, dir: string): { file: string; size: number } {
  const file = join(dir, "check-request.bin");
  const body = grpcFrame(toBinary(CheckRequestSchema, request));
  writeFileSync(file, body);
  return { file, size: body.length };
}
