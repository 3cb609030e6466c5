import type { ConnectionLimits, ListenAddress } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { GrpcStatus } from "../rpc/grpc-wire.js";
import type { HealthSource } from "../rpc/health.js";
import type { ReflectionIndex } from "../rpc/reflection.js";
import type { CheckAnswerer } from "./check-service.js";
import type { ForwardAuth } from "./forward/forward-handler.js";
import { CHECK_PATH, checkMethod } from "./transport/check-method.js";
import type { StreamingAnswer } from "./transport/grpc-answer.js";
import { type GrpcMethod, grpcRouter } from "./transport/grpc-router.js";
import { type H2cListener, listenH2c, type StreamHandler } from "./transport/h2c-listener.js";
import { healthMethods } from "./transport/health-methods.js";
import {
  type ConnectionHandler,
  httpConnections,
  notFoundConnections,
} from "./transport/http1-connections.js";
import { reflectionMethods } from "./transport/reflection-method.js";

/** What the authz listener serves. */
export interface AuthzServerOptions {
  listen: ListenAddress;
  check: CheckAnswerer;
  health: HealthSource;
  reflection: ReflectionIndex;
  logger: Logger;
  metrics: Metrics;
  /** HTTP forward auth, on HTTP/1.1 connections and on h2c streams that are not gRPC. */
  forward?: ForwardAuth;
  /** Connections that are not h2c (HTTP/1.1); forward auth's, else a 404 to every request. */
  http1?: ConnectionHandler;
  /** HTTP/2 streams that are not gRPC (content type not `application/grpc…`); forward auth's, else 415. */
  http2?: StreamHandler;
  /** The connection cap, the deadline for a connection's first bytes, and the idle limit. */
  limits: ConnectionLimits;
  /** Overrides the keepalive timing (tests). */
  keepalive?: { idleMs: number; timeoutMs: number };
}

/**
 * The proxy-facing listener: ext_authz Check, health and reflection over gRPC on h2c, and HTTP forward auth
 * on HTTP/1.1 and h2c, served by Keyward's own lean server (node:http2, node:http) on one port.
 */
export class AuthzServer {
  private constructor(
    private readonly listener: H2cListener,
    /** Watch and reflection streams still running: ended with UNAVAILABLE on shutdown. */
    private readonly open: Set<StreamingAnswer>,
  ) {}

  get port(): number {
    return this.listener.port;
  }

  static async start(options: AuthzServerOptions): Promise<AuthzServer> {
    const open = new Set<StreamingAnswer>();
    const methods = new Map<string, GrpcMethod>([
      [CHECK_PATH, checkMethod(options)],
      ...healthMethods(options.health, open),
      ...reflectionMethods(options.reflection, open),
    ]);
    const listener = await listenH2c({
      listen: options.listen,
      onStream: grpcRouter(methods, options.http2 ?? options.forward?.http2),
      http1:
        options.http1 ?? (options.forward ? httpConnections(options.forward.http1) : notFoundConnections()),
      limits: options.limits,
      ...(options.keepalive ? { keepalive: options.keepalive } : {}),
    });
    return new AuthzServer(listener, open);
  }

  /**
   * Graceful stop: GOAWAY on every connection, so clients send new calls elsewhere; calls in flight are
   * answered; open Watch and reflection streams end with UNAVAILABLE; whatever is left after `graceMs` is cut.
   */
  async close(graceMs = 5000): Promise<void> {
    await this.drain(graceMs);
  }

  /** `close`, telling how many HTTP/2 connections still had calls open after `graceMs` and had to be cut. */
  drain(graceMs: number): Promise<number> {
    const closing = this.listener.close(graceMs);
    for (const answer of [...this.open]) answer.end(GrpcStatus.UNAVAILABLE, "server shutting down");
    this.open.clear();
    return closing;
  }
}
