import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  type HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  HeaderValueOptionSchema,
} from "../gen/envoy/config/core/v3/base_pb.js";
import { type CheckResponse, CheckResponseSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.js";
import type { Allow, Deny } from "./decision.js";
import { denial, denyStatus } from "./denial.js";
import { IDENTITY_HEADERS, SECRET_HEADERS } from "./identity-headers.js";
import type { HeaderPair } from "./rate-limit-headers.js";

export { denyStatus, IDENTITY_HEADERS, SECRET_HEADERS };

const GRPC_OK = 0;

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

/** The deny answer: the shared denial (status, JSON body, challenge) as Envoy's DeniedHttpResponse. */
export function denyResponse(d: Deny, extraHeaders: readonly HeaderValueOption[] = []): CheckResponse {
  const answer = denial(d);
  const [contentType, ...rest] = answer.headers.map(([name, value]) => overwrite(name, value));
  const headers = [contentType as HeaderValueOption, ...extraHeaders, ...rest];
  return create(CheckResponseSchema, {
    status: { code: denyStatus(d.code).grpc, message: d.code },
    httpResponse: {
      case: "deniedResponse",
      value: { status: { code: answer.status }, headers, body: answer.body },
    },
  });
}

/** Envoy header options for protocol-neutral header pairs, each replacing what the client sent. */
export function overwriteAll(pairs: readonly HeaderPair[]): HeaderValueOption[] {
  return pairs.map(([name, value]) => overwrite(name, value));
}
