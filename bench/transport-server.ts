/**
 * Child entry: the "transport" baseline. Keyward's own authz listener as built (`dist/`): the h2c listener,
 * gRPC routing, request reading and the wire reader, with the Check replaced by a constant allow of the size
 * Keyward answers. No Check can answer faster on this listener, so Keyward divided by this shows what the
 * Check itself costs, and this divided by bare what Keyward's transport costs over bare node:http2.
 */
import { randomBytes } from "node:crypto";
import { AuthzServer } from "../dist/authz/authz-server.js";
import { loadConfig } from "../dist/config.js";
import { Authorization } from "../dist/gen/envoy/service/auth/v3/external_auth_pb.js";
import { createLogger } from "../dist/logger.js";
import { Metrics } from "../dist/metrics.js";
import { HealthState, ServingStatus } from "../dist/rpc/health.js";
import { ReflectionIndex } from "../dist/rpc/reflection.js";
import { serveParent } from "./child-protocol.js";
import { CONSTANT_ALLOW_FRAMED } from "./constant-allow.js";

/** What the parent learns when the baseline listens. */
export interface TransportServerInfo {
  authzPort: number;
}

await serveParent<TransportServerInfo>(async () => {
  // Keyward's own connection limits; the pepper is required by the loader and unused here.
  const config = loadConfig({
    KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0",
    KEYWARD_PEPPER: randomBytes(32).toString("hex"),
  });
  const health = new HealthState([Authorization.typeName]);
  health.setAll(ServingStatus.SERVING);
  const server = await AuthzServer.start({
    listen: config.authzListen,
    check: { check: () => CONSTANT_ALLOW_FRAMED },
    health: health.view([Authorization.typeName]),
    reflection: new ReflectionIndex([Authorization]),
    logger: createLogger("warn", process.stderr),
    metrics: new Metrics(),
    limits: config.connections,
  });
  return { info: { authzPort: server.port }, handlers: {}, shutdown: () => server.close(2000) };
});
