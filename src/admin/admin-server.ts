import type { Interceptor } from "@connectrpc/connect";
import { createContextValues, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { normalizedAddress } from "../authz/source-address.js";
import type { ListenAddress } from "../config.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { healthImpl, reflectionRoutes } from "../rpc/connect-services.js";
import type { ConnectionLimits } from "../rpc/connection-guard.js";
import type { HealthSource } from "../rpc/health.js";
import type { ReflectionIndex } from "../rpc/reflection.js";
import { devHostGuard } from "./dev-host-guard.js";
import { type DualListener, listenDual, peerAddress } from "./dual-listener.js";
import { httpRoutes, type NodeHandlerFn } from "./http-routes.js";
import { sourceIpKey } from "./principal.js";
import { rejectNulInterceptor } from "./reject-nul.js";
import { rejectUnknownJsonFields } from "./strict-json.js";

/** What the admin listener serves. */
export interface AdminServerOptions {
  listen: ListenAddress;
  keyAdmin: ServiceImpl<typeof KeyAdminService>;
  interceptors: Interceptor[];
  health: HealthSource;
  reflection: ReflectionIndex;
  metrics: Metrics;
  ready: () => Promise<boolean>;
  adminAuth: "on" | "dev";
  logger: Logger;
  /** The web console's routes, unless it is turned off; they answer true for the paths they serve. */
  console?: ((req: Parameters<NodeHandlerFn>[0], res: Parameters<NodeHandlerFn>[1]) => boolean) | undefined;
  limits: ConnectionLimits;
  /** The leak-report endpoints (`/leaks/…`); they answer true for the paths they serve. */
  leaks?: ((req: Parameters<NodeHandlerFn>[0], res: Parameters<NodeHandlerFn>[1]) => boolean) | undefined;
}

/** Largest admin request body accepted; no valid admin request comes near it. */
const MAX_BODY = 1024 * 1024;

/** KeyAdmin over Connect, gRPC and gRPC-Web on HTTP/1.1 and h2c, plus health, reflection and HTTP probes. */
export async function startAdminServer(options: AdminServerOptions): Promise<DualListener> {
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(KeyAdminService, options.keyAdmin);
      router.service(Health, healthImpl(options.health));
      reflectionRoutes(router, options.reflection);
      rejectUnknownJsonFields(router, MAX_BODY);
    },
    // The gRPC-Web and gRPC JSON forms refuse unknown fields too (Connect JSON gets the fuller answer above).
    jsonOptions: { ignoreUnknownFields: false },
    // Innermost, so a request is authenticated before its content is looked at.
    interceptors: [...options.interceptors, rejectNulInterceptor()],
    readMaxBytes: MAX_BODY,
    contextValues: (req) => createContextValues().set(sourceIpKey, normalizedAddress(peerAddress(req))),
    fallback: httpRoutes(options),
  });
  const consoleRoutes = options.console;
  const serve: NodeHandlerFn = (req, res) => {
    if (options.leaks?.(req, res)) return;
    if (consoleRoutes?.(req, res)) return;
    // Admin answers may carry key material or one-time secrets: no cache anywhere may keep them.
    res.setHeader("cache-control", "no-store");
    handler(req, res);
  };
  // Without authentication, only pages of this machine may drive the API: see devHostGuard.
  return listenDual(
    options.listen,
    options.adminAuth === "dev" ? devHostGuard(serve) : serve,
    options.limits,
  );
}
