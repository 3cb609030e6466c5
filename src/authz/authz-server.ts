import type * as net from "node:net";
import { toBinary } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { ConnectionLimits, ListenAddress } from "../config.js";
import {
  Authorization,
  type CheckResponse,
  CheckResponseSchema,
} from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { guardedServer } from "../rpc/connection-guard.js";
import { grpcMethod } from "../rpc/grpc-js.js";
import { addHealthService, addReflectionService } from "../rpc/grpc-js-services.js";
import type { HealthSource } from "../rpc/health.js";
import type { ReflectionIndex } from "../rpc/reflection.js";
import { readCheckRequest } from "./check-request-reader.js";
import type { CheckRequestView } from "./check-request-view.js";
import { denyResponse } from "./check-response.js";
import type { CheckService } from "./check-service.js";
import { deny } from "./decision.js";

/** What the authz listener serves. */
export interface AuthzServerOptions {
  listen: ListenAddress;
  check: CheckService;
  health: HealthSource;
  reflection: ReflectionIndex;
  logger: Logger;
  metrics: Metrics;
  limits: ConnectionLimits;
}

const UNDECODABLE = deny("unsupported_request", { message: "The check request could not be decoded." });

/**
 * Stands in for a request that did not decode. grpc-js reads a null or undefined request as "no message" and
 * fails the call, which Envoy would treat as an outage; a marker object reaches the handler instead.
 */
const NOT_DECODED = Symbol("not decoded");
type Decoded = CheckRequestView | { [NOT_DECODED]: true };

/**
 * Largest Check accepted. Envoy's request headers can reach 8 MiB (max_request_headers_kb), plus a buffered
 * body when with_request_body is on; anything that large should still get a denial, not a transport error.
 */
const MAX_CHECK_BYTES = 32 * 1024 * 1024;

/** The Envoy-facing listener: ext_authz Check, health and reflection over gRPC (h2c) on grpc-js. */
export class AuthzServer {
  private constructor(
    private readonly server: Server,
    private readonly tcp: net.Server,
    readonly port: number,
  ) {}

  static async start(options: AuthzServerOptions): Promise<AuthzServer> {
    const server = new Server({
      "grpc.max_receive_message_length": MAX_CHECK_BYTES,
      // Closes a connection with no call in flight for this long (grpc-js's own idle timer).
      "grpc.max_connection_idle_ms": options.limits.idleMs,
    });
    const [checkMethod] = Authorization.methods;
    if (!checkMethod) throw new Error("Authorization service has no Check method");
    const definition = {
      ...grpcMethod(checkMethod),
      // Shared answers arrive already encoded (see EncodedResponses).
      responseSerialize: (m: CheckResponse | Buffer): Buffer =>
        Buffer.isBuffer(m) ? m : Buffer.from(toBinary(CheckResponseSchema, m)),
      // Only the fields a decision needs are read (see CheckRequestView). A request that does not decode is
      // answered with a denial, not an RPC error Envoy would read as an outage.
      requestDeserialize: (b: Buffer): Decoded => readCheckRequest(b) ?? { [NOT_DECODED]: true },
    };
    server.addService(
      { Check: definition },
      {
        Check(
          call: ServerUnaryCall<Decoded, CheckResponse | Buffer>,
          callback: sendUnaryData<CheckResponse | Buffer>,
        ) {
          if (NOT_DECODED in call.request) {
            callback(null, denyResponse(UNDECODABLE));
            return;
          }
          const fail = (err: unknown) => {
            options.metrics.checkErrors.inc();
            options.logger.error({ err }, "check failed");
            callback({ code: status.UNAVAILABLE, details: "authorization backend unavailable" });
          };
          try {
            const answer = options.check.check(call.request);
            if (answer instanceof Promise) answer.then((response) => callback(null, response), fail);
            else callback(null, answer);
          } catch (err) {
            fail(err);
          }
        },
      },
    );
    addHealthService(server, options.health);
    addReflectionService(server, options.reflection);
    // Keyward accepts the connections itself, bounded (a cap, a deadline for the first bytes), and hands them
    // to grpc-js; grpc-js never listens.
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    const tcp = guardedServer(options.limits, (socket) => injector.injectConnection(socket));
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(options.listen.port, options.listen.host, () =>
        resolve((tcp.address() as net.AddressInfo).port),
      );
    });
    return new AuthzServer(server, tcp, port);
  }

  /** Stops accepting calls, lets in-flight ones finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs = 5000): Promise<void> {
    this.tcp.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
