import { create } from "@bufbuild/protobuf";
import {
  type Server,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckResponseSchema,
  type HealthListResponse,
  HealthListResponseSchema,
} from "../gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import { grpcService } from "./grpc-js.js";
import type { HealthSource } from "./health.js";
import type { ReflectionIndex } from "./reflection.js";

/** Adds grpc.health.v1.Health to a grpc-js server. */
export function addHealthService(server: Server, health: HealthSource): void {
  server.addService(grpcService(Health), {
    Check(call: ServerUnaryCall<HealthCheckRequest, unknown>, callback: sendUnaryData<unknown>) {
      const current = health.get(call.request.service);
      if (current === undefined) callback({ code: status.NOT_FOUND, details: "unknown service" });
      else callback(null, create(HealthCheckResponseSchema, { status: current }));
    },
    List(_call: ServerUnaryCall<unknown, HealthListResponse>, callback: sendUnaryData<HealthListResponse>) {
      const statuses = Object.fromEntries(
        [...health.all()].map(([name, s]) => [name, create(HealthCheckResponseSchema, { status: s })]),
      );
      callback(null, create(HealthListResponseSchema, { statuses }));
    },
    Watch(call: ServerWritableStream<HealthCheckRequest, unknown>) {
      const service = call.request.service;
      const send = (s: number) => call.write(create(HealthCheckResponseSchema, { status: s }));
      send(health.get(service) ?? 3);
      const onChange = (changed: string, s: number) => {
        if (changed === service) send(s);
      };
      health.on("change", onChange);
      call.on("cancelled", () => health.off("change", onChange));
    },
  });
}

/** Adds gRPC server reflection, v1 and v1alpha, to a grpc-js server. */
export function addReflectionService(server: Server, index: ReflectionIndex): void {
  const handler = {
    ServerReflectionInfo(call: ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>) {
      call.on("data", (req: ServerReflectionRequest) => call.write(index.answer(req)));
      call.on("end", () => call.end());
      call.on("error", () => call.end());
    },
  };
  server.addService(grpcService(ServerReflection), handler);
  server.addService(grpcService(ServerReflection, "grpc.reflection.v1alpha.ServerReflection"), handler);
}
