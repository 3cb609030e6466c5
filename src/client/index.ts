import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";

export * from "../gen/keyward/admin/v1/console_pb.js";
export * from "../gen/keyward/admin/v1/key_admin_pb.js";
export * from "../gen/keyward/admin/v1/key_pb.js";

/** How to reach a Keyward admin listener. */
export interface KeywardClientOptions {
  /** e.g. `http://127.0.0.1:8181`. */
  baseUrl: string;
  /** An admin key (holding `keys:admin` or `platform:admin`), sent as a bearer token on every call. */
  apiKey: string;
  /** Wire protocol: Connect (default, HTTP/1.1), gRPC (h2c) or gRPC-Web (HTTP/1.1). */
  protocol?: "connect" | "grpc" | "grpc-web";
}

/** A typed KeyAdmin client: every RPC of keyward.admin.v1.KeyAdminService as an async method. */
export type KeywardClient = Client<typeof KeyAdminService>;

/** Creates a KeyAdmin client for Node.js services. */
export function createKeywardClient(options: KeywardClientOptions): KeywardClient {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${options.apiKey}`);
    return next(req);
  };
  return createClient(KeyAdminService, transportFor(options, [auth]));
}

function transportFor(options: KeywardClientOptions, interceptors: Interceptor[]): Transport {
  const { baseUrl } = options;
  switch (options.protocol ?? "connect") {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
    default:
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
  }
}
