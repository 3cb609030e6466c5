import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  allowResponse,
  denyResponse,
  denyStatus,
  IDENTITY_HEADERS,
  overwrite,
} from "../../src/authz/check-response.js";
import { type Allow, type DenyCode, deny } from "../../src/authz/decision.js";
import {
  type HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  HeaderValueOptionSchema,
} from "../../src/gen/envoy/config/core/v3/base_pb.js";
import {
  type CheckResponse,
  CheckResponseSchema,
} from "../../src/gen/envoy/service/auth/v3/external_auth_pb.js";

const ALLOW: Allow = {
  allow: true,
  keyId: "key_123",
  companyId: "acme",
  scopes: ["candidates:read", "jobs:*"],
  environment: "test",
};

/** The response as Envoy would decode it from the wire. */
function wire(response: CheckResponse): CheckResponse {
  return fromBinary(CheckResponseSchema, toBinary(CheckResponseSchema, response));
}

function headerMap(headers: readonly HeaderValueOption[]): Record<string, string> {
  return Object.fromEntries(headers.map((h) => [h.header?.key ?? "", h.header?.value ?? ""]));
}

function okOf(response: CheckResponse) {
  if (response.httpResponse.case !== "okResponse") throw new Error("expected ok_response");
  return response.httpResponse.value;
}

function deniedOf(response: CheckResponse) {
  if (response.httpResponse.case !== "deniedResponse") throw new Error("expected denied_response");
  return response.httpResponse.value;
}

describe("allowResponse", () => {
  const response = wire(allowResponse(ALLOW));

  it("has status OK", () => {
    expect(response.status?.code).toBe(0);
  });

  it("sets the four identity headers, each overwriting whatever the client sent", () => {
    const ok = okOf(response);
    expect(headerMap(ok.headers)).toEqual({
      "x-keyward-key-id": "key_123",
      "x-keyward-company-id": "acme",
      "x-keyward-scopes": "candidates:read jobs:*",
      "x-keyward-environment": "test",
    });
    expect(ok.headers).toHaveLength(4);
    for (const h of ok.headers) {
      expect(h.append).toBe(false);
      expect(h.appendAction).toBe(HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    }
    expect(Object.values(IDENTITY_HEADERS).sort()).toEqual(Object.keys(headerMap(ok.headers)).sort());
  });

  it("removes both secret-carrying headers", () => {
    expect([...okOf(response).headersToRemove].sort()).toEqual(["authorization", "x-api-key"]);
  });

  it("puts key_id, company_id, environment and scopes in the top-level dynamic_metadata only", () => {
    expect(response.dynamicMetadata).toEqual({
      key_id: "key_123",
      company_id: "acme",
      environment: "test",
      scopes: "candidates:read jobs:*",
    });
    expect(okOf(response).dynamicMetadata).toBeUndefined();
  });

  it("writes an empty scopes header for a key without scopes", () => {
    const ok = okOf(wire(allowResponse({ ...ALLOW, scopes: [] })));
    expect(headerMap(ok.headers)["x-keyward-scopes"]).toBe("");
  });

  it("appends extra headers after the identity headers", () => {
    const ok = okOf(wire(allowResponse(ALLOW, [overwrite("ratelimit-policy", "100;w=60")])));
    expect(ok.headers.map((h) => h.header?.key)).toEqual([
      ...Object.values(IDENTITY_HEADERS),
      "ratelimit-policy",
    ]);
  });
});

describe("allowResponse with client response headers", () => {
  it("adds them to the client's response, never to the upstream request", () => {
    const ok = okOf(
      wire(allowResponse(ALLOW, [], [overwrite("ratelimit", "limit=10, remaining=9, reset=1")])),
    );
    expect(headerMap(ok.responseHeadersToAdd)).toEqual({ ratelimit: "limit=10, remaining=9, reset=1" });
    expect(headerMap(ok.headers)).not.toHaveProperty("ratelimit");
  });

  it("adds none by default", () => {
    expect(okOf(wire(allowResponse(ALLOW))).responseHeadersToAdd).toEqual([]);
  });
});

describe("overwrite", () => {
  it("encodes append=false on the wire rather than leaving it unset", () => {
    const bytes = toBinary(HeaderValueOptionSchema, overwrite("a", "b"));
    const decoded = fromBinary(HeaderValueOptionSchema, bytes);
    expect(decoded.append).toBe(false);
    expect(create(HeaderValueOptionSchema).append).toBeUndefined();
  });
});

const UNAUTHENTICATED: DenyCode[] = [
  "missing_key",
  "malformed_key",
  "invalid_key",
  "expired_key",
  "suspended_key",
  "revoked_key",
];
const FORBIDDEN: DenyCode[] = [
  "insufficient_scope",
  "ip_not_allowed",
  "company_forbidden",
  "company_required",
  "environment_mismatch",
  "unsupported_request",
];

describe("denyStatus and denyResponse", () => {
  it.each([
    ...UNAUTHENTICATED.map((c) => [c, 401, 16] as const),
    ...FORBIDDEN.map((c) => [c, 403, 7] as const),
    ["rate_limited", 429, 8] as const,
  ])("%s is HTTP %d, gRPC %d", (code, http, grpc) => {
    expect(denyStatus(code)).toEqual({ http, grpc });
    const response = wire(denyResponse(deny(code)));
    expect(response.status?.code).toBe(grpc);
    expect(response.status?.message).toBe(code);
    const denied = deniedOf(response);
    expect(denied.status?.code).toBe(http);
    expect(headerMap(denied.headers)["content-type"]).toBe("application/json");
    expect(JSON.parse(denied.body)).toEqual({ error: { code, message: deny(code).message } });
    expect(response.dynamicMetadata).toBeUndefined();
    for (const h of denied.headers) {
      expect(h.appendAction).toBe(HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    }
  });

  it("challenges a missing key with the bare realm, as RFC 6750 §3.1 asks", () => {
    const headers = headerMap(deniedOf(wire(denyResponse(deny("missing_key")))).headers);
    expect(headers["www-authenticate"]).toBe('Bearer realm="keyward"');
  });

  it.each(UNAUTHENTICATED.filter((c) => c !== "missing_key"))("challenges %s with invalid_token", (code) => {
    const challenge = headerMap(deniedOf(wire(denyResponse(deny(code)))).headers)["www-authenticate"];
    expect(challenge).toMatch(/^Bearer realm="keyward", error="invalid_token"/);
    expect(challenge).toContain(`error_description="${code}"`);
  });

  it("challenges insufficient_scope with the scopes required, and lists them in the body", () => {
    const response = wire(denyResponse(deny("insufficient_scope", { requiredScopes: ["a:read", "b:*"] })));
    const denied = deniedOf(response);
    const challenge = headerMap(denied.headers)["www-authenticate"];
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="a:read b:*"');
    expect(challenge?.startsWith("Bearer ")).toBe(true);
    expect(JSON.parse(denied.body)).toEqual({
      error: {
        code: "insufficient_scope",
        message: deny("insufficient_scope").message,
        required_scopes: ["a:read", "b:*"],
      },
    });
  });

  it.each(FORBIDDEN.filter((c) => c !== "insufficient_scope").concat("rate_limited"))(
    "sends no challenge with %s",
    (code) => {
      expect(headerMap(deniedOf(wire(denyResponse(deny(code)))).headers)).not.toHaveProperty(
        "www-authenticate",
      );
    },
  );

  it("tells a rate-limited caller when to retry and passes the rate-limit headers on", () => {
    const response = denyResponse(deny("rate_limited", { retryAfterSeconds: 7 }), [
      overwrite("ratelimit", "limit=100, remaining=0, reset=7"),
      overwrite("ratelimit-policy", "100;w=60"),
    ]);
    const headers = headerMap(deniedOf(wire(response)).headers);
    expect(headers["retry-after"]).toBe("7");
    expect(headers.ratelimit).toBe("limit=100, remaining=0, reset=7");
    expect(headers["ratelimit-policy"]).toBe("100;w=60");
    expect(JSON.parse(deniedOf(wire(response)).body).error).not.toHaveProperty("retry_after");
  });

  it("keeps a custom message in the body, JSON-escaped", () => {
    const body = deniedOf(
      wire(denyResponse(deny("unsupported_request", { message: 'bad "route" \n' }))),
    ).body;
    expect(JSON.parse(body).error.message).toBe('bad "route" \n');
  });
});
