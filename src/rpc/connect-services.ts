import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "../gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflectionRequestSchema as AlphaRequestSchema,
  ServerReflectionResponseSchema as AlphaResponseSchema,
  ServerReflection as ServerReflectionAlpha,
} from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { type HealthSource, ServingStatus } from "./health.js";
import type { ReflectionIndex } from "./reflection.js";

/** grpc.health.v1.Health for connect-node. */
export function healthImpl(health: HealthSource): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = health.get(req.service);
      if (status === undefined) throw new ConnectError("unknown service", Code.NotFound);
      return create(HealthCheckResponseSchema, { status });
    },
    list() {
      const statuses = Object.fromEntries(
        [...health.all()].map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })]),
      );
      return create(HealthListResponseSchema, { statuses });
    },
    async *watch(req, hctx: HandlerContext) {
      const queue: ServingStatus[] = [health.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN];
      let wake: (() => void) | undefined;
      const onChange = (service: string, status: ServingStatus) => {
        if (service !== req.service) return;
        queue.push(status);
        wake?.();
      };
      health.on("change", onChange);
      hctx.signal.addEventListener("abort", () => wake?.());
      try {
        while (!hctx.signal.aborted) {
          const next = queue.shift();
          if (next !== undefined) yield create(HealthCheckResponseSchema, { status: next });
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        health.off("change", onChange);
      }
    },
  };
}

/** gRPC server reflection v1 and v1alpha for connect-node (v1alpha is wire-identical, so it is re-encoded). */
export function reflectionRoutes(router: ConnectRouter, index: ReflectionIndex): void {
  router.service(ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield index.answer(req);
    },
  });
  router.service(ServerReflectionAlpha, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        const v1 = fromBinary(ServerReflectionRequestSchema, toBinary(AlphaRequestSchema, req));
        yield fromBinary(AlphaResponseSchema, toBinary(ServerReflectionResponseSchema, index.answer(v1)));
      }
    },
  });
}
