import { toBinary } from "@bufbuild/protobuf";
import { allowResponse } from "../src/authz/check-response.js";
import { CheckResponseSchema } from "../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { frameMessage } from "../src/rpc/grpc-wire.js";

/**
 * An encoded allow shaped like Keyward's own (a key, its company, two scopes), so a baseline that answers it
 * sends an answer of the same size as Keyward; encoded once, as Keyward does for answers it can share.
 */
export const CONSTANT_ALLOW = Buffer.from(
  toBinary(
    CheckResponseSchema,
    allowResponse({
      allow: true,
      keyId: "key_0000000000000000000000",
      companyId: "acme",
      scopes: ["candidates:read", "candidates:write"],
      environment: "live",
    }),
  ),
);

/** The same allow framed as a gRPC message, once: what Keyward's listener sends for an answer it shares. */
export const CONSTANT_ALLOW_FRAMED = frameMessage(CONSTANT_ALLOW);
