import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { KeyAdminService } from "../gen/keyward/admin/v1/key_admin_pb.js";
import { checkedApiKey } from "./api-key.js";

export * from "../gen/keyward/admin/v1/console_pb.js";
export * from "../gen/keyward/admin/v1/key_admin_pb.js";
export * from "../gen/keyward/admin/v1/key_pb.js";
export { KeywardClientError } from "./api-key.js";

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

/**
 * Creates a KeyAdmin client for Node.js services. A missing or malformed `apiKey` throws a
 * `KeywardClientError` here; a key the server refuses fails each call with a ConnectError that says so.
 */
export function createKeywardClient(options: KeywardClientOptions): KeywardClient {
  const apiKey = checkedApiKey(options.apiKey);
  const auth: Interceptor = (next) => async (req) => {
    req.header.set("authorization", `Bearer ${apiKey}`);
    try {
      return await next(req);
    } catch (err) {
      throw explainRefusal(err);
    }
  };
  return createClient(KeyAdminService, transportFor(options, [auth]));
}

/** A refused admin key, said plainly: which key is at fault, and what the server answered. */
function explainRefusal(err: unknown): unknown {
  if (!(err instanceof ConnectError) || err.code !== Code.Unauthenticated) return err;
  return new ConnectError(
    `Keyward did not accept the client's admin key (${err.rawMessage}); check the apiKey given to createKeywardClient`,
    err.code,
    err.metadata,
    undefined,
    err,
  );
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
