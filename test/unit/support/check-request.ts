import { create, toBinary } from "@bufbuild/protobuf";
import { readCheckRequest } from "../../../src/authz/check-request-reader.js";
import type { CheckRequestView } from "../../../src/authz/check-request-view.js";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../../src/gen/envoy/service/auth/v3/external_auth_pb.js";

/** What a unit test says about one Check request; the rest is filled the way Envoy fills it. */
export interface RequestSpec {
  method?: string;
  path?: string;
  /** The `headers` map (Envoy's default encoding). */
  headers?: Record<string, string>;
  /** `header_map` entries (Envoy's `encode_raw_headers: true`); a string goes in `raw_value` as UTF-8. */
  rawHeaders?: [string, string | Uint8Array][];
  /** `header_map` entries carried in the deprecated `value` field instead of `raw_value`. */
  valueHeaders?: [string, string][];
  /** A socket address; null leaves the source address out. */
  sourceIp?: string | null;
  /** Report a unix-socket peer instead of an IP. */
  pipe?: boolean;
  contextExtensions?: Record<string, string>;
  /** Leave out `attributes.request.http`, as Envoy's network filter does. */
  noHttp?: boolean;
  /** Leave out `attributes` entirely. */
  noAttributes?: boolean;
}

/** A CheckRequest built with Keyward's generated schema, encoded, and read back as the Check path reads it. */
export function checkRequest(spec: RequestSpec = {}): CheckRequestView {
  const view = readCheckRequest(Buffer.from(toBinary(CheckRequestSchema, checkRequestMessage(spec))));
  if (!view) throw new Error("an encoded CheckRequest did not read back");
  return view;
}

/** A CheckRequest built with Keyward's generated schema. */
export function checkRequestMessage(spec: RequestSpec = {}): CheckRequest {
  if (spec.noAttributes) return create(CheckRequestSchema, {});
  const headerMap =
    spec.rawHeaders || spec.valueHeaders
      ? {
          headers: [
            ...(spec.rawHeaders ?? []).map(([key, v]) => ({
              key,
              rawValue: typeof v === "string" ? Buffer.from(v, "utf8") : v,
            })),
            ...(spec.valueHeaders ?? []).map(([key, value]) => ({ key, value })),
          ],
        }
      : undefined;
  const sourceIp = spec.sourceIp === undefined ? "203.0.113.7" : spec.sourceIp;
  const address = spec.pipe
    ? { address: { case: "pipe" as const, value: { path: "/run/envoy.sock" } } }
    : sourceIp === null
      ? undefined
      : {
          address: {
            case: "socketAddress" as const,
            value: { address: sourceIp, portSpecifier: { case: "portValue" as const, value: 40000 } },
          },
        };
  return create(CheckRequestSchema, {
    attributes: {
      source: address ? { address } : undefined,
      request: spec.noHttp
        ? {}
        : {
            http: {
              id: "req-1",
              method: spec.method ?? "GET",
              path: spec.path ?? "/",
              host: "api.example.com",
              headers: spec.headers ?? {},
              headerMap,
            },
          },
      contextExtensions: spec.contextExtensions ?? {},
    },
  });
}
