import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/**
 * An ext_authz client built from Envoy's own .proto files (shipped in @grpc/grpc-js-xds), so every request
 * the tests send is encoded exactly as Envoy's definitions say, independently of Keyward's generated code.
 */
const require = createRequire(import.meta.url);
const DEPS = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");

const definition = protoLoader.loadSync("envoy/service/auth/v3/external_auth.proto", {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [
    join(DEPS, "envoy-api"),
    join(DEPS, "xds"),
    join(DEPS, "googleapis"),
    join(DEPS, "protoc-gen-validate"),
  ],
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } };
};

/** What a test says about one request; the rest is filled the way Envoy fills it. */
export interface EnvoyRequest {
  method?: string;
  /** Path with query, as on the request line. */
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  /** Send headers as `header_map` (Envoy's `encode_raw_headers: true`) instead of the `headers` map. */
  rawHeaders?: [string, string][];
  sourceIp?: string | null;
  contextExtensions?: Record<string, string>;
  /** Omit the HTTP attributes entirely, as Envoy's network filter does. */
  noHttp?: boolean;
}

/** The decoded CheckResponse, in proto-loader's plain-object form (keepCase). */
export interface EnvoyResponse {
  status: { code: number; message: string };
  http_response?: "ok_response" | "denied_response";
  ok_response?: {
    headers: { header: { key: string; value: string }; append: { value: boolean } | null; append_action: string }[];
    headers_to_remove: string[];
  };
  denied_response?: {
    status: { code: string | number };
    headers: { header: { key: string; value: string }; append_action: string }[];
    body: string;
  };
  dynamic_metadata?: { fields: Record<string, { stringValue?: string; string_value?: string }> };
}

/** The CheckRequest Envoy would send for `r`. */
export function envoyCheckRequest(r: EnvoyRequest): Record<string, unknown> {
  const method = r.method ?? "GET";
  const path = r.path ?? "/";
  const host = r.host ?? "api.example.com";
  const headers = { ":method": method, ":path": path, ":authority": host, ":scheme": "http", ...r.headers };
  const http: Record<string, unknown> = {
    id: "req-1",
    method,
    path,
    host,
    scheme: "http",
    protocol: "HTTP/1.1",
    query: path.includes("?") ? path.slice(path.indexOf("?") + 1) : "",
  };
  if (r.rawHeaders) {
    http.header_map = { headers: r.rawHeaders.map(([key, value]) => ({ key, raw_value: Buffer.from(value) })) };
  } else {
    http.headers = headers;
  }
  const source =
    r.sourceIp === null
      ? {}
      : { address: { socket_address: { address: r.sourceIp ?? "203.0.113.7", port_value: 40000 } } };
  return {
    attributes: {
      source,
      destination: { address: { socket_address: { address: "10.0.0.2", port_value: 8080 } } },
      request: r.noHttp ? { time: { seconds: 1 } } : { time: { seconds: 1 }, http },
      context_extensions: r.contextExtensions ?? {},
    },
  };
}

/** A real grpc-js client for envoy.service.auth.v3.Authorization. */
export class EnvoyClient {
  private readonly client: grpc.Client & Record<string, unknown>;

  constructor(address: string) {
    const Ctor = loaded.envoy.service.auth.v3.Authorization;
    this.client = new Ctor(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, unknown>;
  }

  /** Sends one Check the way Envoy would for `r`. */
  check(r: EnvoyRequest): Promise<EnvoyResponse> {
    return this.checkRaw(envoyCheckRequest(r));
  }

  /** Sends an arbitrary CheckRequest object. */
  checkRaw(request: Record<string, unknown>): Promise<EnvoyResponse> {
    const call = this.client.Check as (
      req: unknown,
      options: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: EnvoyResponse) => void,
    ) => void;
    return new Promise((resolve, reject) =>
      call.call(this.client, request, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
  }

  close(): void {
    this.client.close();
  }
}

/** The headers of an allow, as a name → value map. */
export function okHeaders(res: EnvoyResponse): Record<string, string> {
  return Object.fromEntries((res.ok_response?.headers ?? []).map((h) => [h.header.key, h.header.value]));
}

/** The headers of a denial, as a name → value map. */
export function deniedHeaders(res: EnvoyResponse): Record<string, string> {
  return Object.fromEntries((res.denied_response?.headers ?? []).map((h) => [h.header.key, h.header.value]));
}

/** The denial's JSON body. */
export function deniedBody(res: EnvoyResponse): { error: { code: string; message: string; required_scopes?: string[] } } {
  return JSON.parse(res.denied_response?.body ?? "{}");
}

/** A dynamic_metadata string field; proto-loader may spell Struct values in either case. */
export function metadataField(res: EnvoyResponse, name: string): string | undefined {
  const v = res.dynamic_metadata?.fields?.[name];
  return v?.string_value ?? v?.stringValue;
}
