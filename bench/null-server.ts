/**
 * Child entry: the "null handler" baseline. The same grpc-js server as Keyward's Check listener, whose handler
 * answers a constant allow, encoded once, without looking at the request: the cheapest answer the RPC stack
 * can give. Keyward's figures divided by these ones show what its own work costs on top of that stack.
 *
 * With `decode: false` the request bytes are not decoded at all: the floor of the transport. With
 * `decode: true` they are decoded in full with protobuf-es, as a grpc-js service built on Envoy's generated
 * types does before its handler runs. Keyward reads only the fields it needs, so it is compared with both.
 */

import { Server, ServerCredentials } from "@grpc/grpc-js";
import { Authorization } from "../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { childOptions, serveParent } from "./child-protocol.js";
import { CONSTANT_ALLOW } from "./constant-allow.js";
import { grpcMethod } from "./grpc-js-method.js";

/** How the parent wants the baseline. */
export interface NullServerOptions {
  /** Decode each request in full with protobuf-es before answering. */
  decode: boolean;
}

/** What the parent learns when the baseline listens. */
export interface NullServerInfo {
  authzPort: number;
}

await serveParent<NullServerInfo>(async () => {
  const [check] = Authorization.methods;
  if (!check) throw new Error("Authorization service has no Check method");
  const { decode } = childOptions<NullServerOptions>();
  const server = new Server({ "grpc.max_receive_message_length": 32 * 1024 * 1024 });
  const method = grpcMethod(check);
  server.addService(
    {
      Check: {
        ...method,
        requestDeserialize: decode ? method.requestDeserialize : (b: Buffer) => b,
        responseSerialize: (m: unknown) => m as Buffer,
      },
    },
    { Check: (_call: unknown, done: (e: null, r: unknown) => void) => done(null, CONSTANT_ALLOW) },
  );
  const authzPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  return {
    info: { authzPort },
    handlers: {},
    shutdown: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
});
