import type { Deny, DenyCode } from "./decision.js";
import type { HeaderPair } from "./rate-limit-headers.js";

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

/** What a denial tells the client, whatever protocol carries it: one status, one body, one set of headers. */
export interface Denial {
  /** The HTTP status the client sees. */
  status: number;
  /** `content-type`, and `www-authenticate` and `retry-after` when the denial has them. */
  headers: HeaderPair[];
  /** `{"error":{"code","message","required_scopes"?}}`. */
  body: string;
}

/** The HTTP status and gRPC status code a denial maps to. */
export function denyStatus(code: DenyCode): { http: number; grpc: number } {
  if (UNAUTHENTICATED.has(code)) return { http: 401, grpc: GRPC_UNAUTHENTICATED };
  if (code === "rate_limited") return { http: 429, grpc: GRPC_RESOURCE_EXHAUSTED };
  return { http: 403, grpc: GRPC_PERMISSION_DENIED };
}

/** The client's answer to a denial: HTTP status, JSON body, `www-authenticate` as RFC 6750 §3 describes. */
export function denial(d: Deny): Denial {
  const headers: HeaderPair[] = [["content-type", "application/json"]];
  const challenge = wwwAuthenticate(d);
  if (challenge) headers.push(["www-authenticate", challenge]);
  if (d.retryAfterSeconds !== undefined) headers.push(["retry-after", String(d.retryAfterSeconds)]);
  const error: Record<string, unknown> = { code: d.code, message: d.message };
  if (d.requiredScopes) error.required_scopes = d.requiredScopes;
  return { status: denyStatus(d.code).http, headers, body: JSON.stringify({ error }) };
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
