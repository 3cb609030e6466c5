import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  type HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  HeaderValueOptionSchema,
} from "../gen/envoy/config/core/v3/base_pb.js";
import { type CheckResponse, CheckResponseSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Allow, Deny, DenyCode } from "./decision.js";

/** Headers Keyward sets for the upstream; a client-sent copy is overwritten, never trusted. */
export const IDENTITY_HEADERS = {
  keyId: "x-keyward-key-id",
  companyId: "x-keyward-company-id",
  scopes: "x-keyward-scopes",
  environment: "x-keyward-environment",
} as const;

/** Headers that carry the secret: removed so the key never reaches the upstream. */
export const SECRET_HEADERS = ["authorization", "x-api-key"];

const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAUTHENTICATED = 16;

const UNAUTHENTICATED: ReadonlySet<DenyCode> = new Set([
  "missing_key",
  "malformed_key",
  "invalid_key",
  "expired_key",
  "suspended_key",
  "revoked_key",
]);

/** A header Envoy sets, replacing any value the client sent. */
export function overwrite(key: string, value: string): HeaderValueOption {
  return create(HeaderValueOptionSchema, {
    header: { key, value },
    append: false,
    appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  });
}

/**
 * The allow answer: identity headers for the upstream, secret headers stripped, dynamic metadata, and
 * `responseHeaders` (rate-limit budget) for the client.
 */
export function allowResponse(
  allow: Allow,
  extraHeaders: readonly HeaderValueOption[] = [],
  responseHeaders: readonly HeaderValueOption[] = [],
): CheckResponse {
  const scopes = allow.scopes.join(" ");
  const metadata: JsonObject = {
    key_id: allow.keyId,
    company_id: allow.companyId,
    environment: allow.environment,
    scopes,
  };
  return create(CheckResponseSchema, {
    status: { code: GRPC_OK },
    httpResponse: {
      case: "okResponse",
      value: {
        headers: [
          overwrite(IDENTITY_HEADERS.keyId, allow.keyId),
          overwrite(IDENTITY_HEADERS.companyId, allow.companyId),
          overwrite(IDENTITY_HEADERS.scopes, scopes),
          overwrite(IDENTITY_HEADERS.environment, allow.environment),
          ...extraHeaders,
        ],
        headersToRemove: SECRET_HEADERS,
        responseHeadersToAdd: [...responseHeaders],
      },
    },
    dynamicMetadata: metadata,
  });
}

/** The HTTP status and gRPC status code a denial maps to. */
export function denyStatus(code: DenyCode): { http: number; grpc: number } {
  if (UNAUTHENTICATED.has(code)) return { http: 401, grpc: GRPC_UNAUTHENTICATED };
  if (code === "rate_limited") return { http: 429, grpc: GRPC_RESOURCE_EXHAUSTED };
  return { http: 403, grpc: GRPC_PERMISSION_DENIED };
}

/** The deny answer: HTTP status, JSON body, `www-authenticate` as RFC 6750 §3 describes. */
export function denyResponse(d: Deny, extraHeaders: readonly HeaderValueOption[] = []): CheckResponse {
  const status = denyStatus(d.code);
  const headers = [overwrite("content-type", "application/json"), ...extraHeaders];
  const challenge = wwwAuthenticate(d);
  if (challenge) headers.push(overwrite("www-authenticate", challenge));
  if (d.retryAfterSeconds !== undefined) headers.push(overwrite("retry-after", String(d.retryAfterSeconds)));
  const error: Record<string, unknown> = { code: d.code, message: d.message };
  if (d.requiredScopes) error.required_scopes = d.requiredScopes;
  return create(CheckResponseSchema, {
    status: { code: status.grpc, message: d.code },
    httpResponse: {
      case: "deniedResponse",
      value: { status: { code: status.http }, headers, body: JSON.stringify({ error }) },
    },
  });
}

function wwwAuthenticate(d: Deny): string | null {
  if (d.code === "missing_key") return 'Bearer realm="keyward"';
  if (UNAUTHENTICATED.has(d.code)) {
    return `Bearer realm="keyward", error="invalid_token", error_description="${d.code}"`;
  }
  if (d.code === "insufficient_scope") {
    return `Bearer realm="keyward", error="insufficient_scope", scope="${(d.requiredScopes ?? []).join(" ")}"`;
  }
  return null;
}
