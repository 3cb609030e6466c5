import { toBinary } from "@bufbuild/protobuf";
import { CheckResponseSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import { frameMessage } from "../rpc/grpc-wire.js";
import { allowResponse, denyResponse } from "./check-response.js";
import type { Allow, Deny } from "./decision.js";
import type { VerifiedKey } from "./verified-key.js";

/**
 * CheckResponses that do not vary per request, encoded and framed as a gRPC message once: an allow depends
 * only on the key and the acting company, and most denials only on their code. The hot path then skips
 * building, encoding and framing a message, and sends the same bytes every time. Allows hang off the cached
 * key object, so they go when the key leaves the cache.
 */
export class EncodedResponses {
  private readonly allows = new WeakMap<VerifiedKey, Map<string, Buffer>>();
  private readonly denials = new Map<string, Buffer>();

  allow(key: VerifiedKey, allow: Allow): Buffer {
    let byCompany = this.allows.get(key);
    if (!byCompany) {
      byCompany = new Map();
      this.allows.set(key, byCompany);
    }
    let bytes = byCompany.get(allow.companyId);
    if (!bytes) {
      bytes = frameMessage(toBinary(CheckResponseSchema, allowResponse(allow)));
      // A user token's companies are few; an integration key's list is bounded by validation.
      byCompany.set(allow.companyId, bytes);
    }
    return bytes;
  }

  /** The framed denial, shared when it carries nothing request-specific. */
  deny(d: Deny): Buffer {
    const plain = d.requiredScopes === undefined && d.retryAfterSeconds === undefined;
    const cacheKey = `${d.code}\u0000${d.message}`;
    if (plain) {
      const cached = this.denials.get(cacheKey);
      if (cached) return cached;
    }
    const bytes = frameMessage(toBinary(CheckResponseSchema, denyResponse(d)));
    if (plain && this.denials.size < 256) this.denials.set(cacheKey, bytes);
    return bytes;
  }
}
