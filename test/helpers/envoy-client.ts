import { randomInt } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
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
  /**
   * Send headers as `header_map` (Envoy's `encode_raw_headers: true`) instead of the `headers` map: one entry per
   * header line, in order, repeated names kept apart, values as raw bytes (a Uint8Array may hold non-UTF-8).
   * The pseudo-headers are prepended as Envoy does.
   */
  rawHeaders?: [string, string | Uint8Array][];
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
    headers: {
      header: { key: string; value: string };
      append: { value: boolean } | null;
      append_action: string;
    }[];
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
    const pseudo: [string, string][] = [
      [":method", method],
      [":path", path],
      [":authority", host],
      [":scheme", "http"],
    ];
    http.header_map = {
      headers: [...pseudo, ...r.rawHeaders].map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
    };
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
  /** Every response this client received, so a suite can inspect all its denials at the end. */
  readonly responses: EnvoyResponse[] = [];

  /**
   * `deadlineMs` bounds each call: past it the call fails DEADLINE_EXCEEDED on the client's side.
   * `channelOptions` go to grpc-js as they are (keepalive, compression).
   */
  constructor(
    address: string,
    private readonly deadlineMs = 5000,
    channelOptions: grpc.ChannelOptions = {},
  ) {
    const Ctor = loaded.envoy.service.auth.v3.Authorization;
    this.client = new Ctor(address, grpc.credentials.createInsecure(), channelOptions) as grpc.Client &
      Record<string, unknown>;
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
      call.call(this.client, request, { deadline: Date.now() + this.deadlineMs }, (err, res) => {
        if (err) return reject(err);
        this.responses.push(res);
        resolve(res);
      }),
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
export function deniedBody(res: EnvoyResponse): {
  error: { code: string; message: string; required_scopes?: string[] };
} {
  return JSON.parse(res.denied_response?.body ?? "{}");
}

/** A dynamic_metadata string field; proto-loader may spell Struct values in either case. */
export function metadataField(res: EnvoyResponse, name: string): string | undefined {
  const v = res.dynamic_metadata?.fields?.[name];
  return v?.string_value ?? v?.stringValue;
}

/** The denial's HTTP status as a number (proto-loader gives Envoy's enum name, e.g. "Unauthorized"). */
export function deniedHttpStatus(res: EnvoyResponse): number | undefined {
  const code = res.denied_response?.status.code;
  if (typeof code === "number" || code === undefined) return code;
  const statusEnum = definition["envoy.type.v3.StatusCode"] as unknown as {
    type: { value: { name: string; number: number }[] };
  };
  return statusEnum.type.value.find((v) => v.name === code)?.number;
}

/** An allow's header options by name: value, `append` (a BoolValue) and `append_action`. */
export function okHeaderOptions(
  res: EnvoyResponse,
): Record<string, { value: string; append: { value: boolean } | null; append_action: string }> {
  return Object.fromEntries(
    (res.ok_response?.headers ?? []).map((h) => [
      h.header.key,
      { value: h.header.value, append: h.append, append_action: h.append_action },
    ]),
  );
}

const checkMethod = definition["envoy.service.auth.v3.Authorization"] as unknown as {
  Check: { requestSerialize: (r: unknown) => Buffer; responseDeserialize: (b: Buffer) => EnvoyResponse };
};

/** A CheckResponse's bytes decoded with Envoy's own definitions. */
export function decodeCheckResponse(bytes: Buffer): EnvoyResponse {
  return checkMethod.Check.responseDeserialize(bytes);
}

/** The CheckRequest Envoy would send for `r`, encoded with Envoy's own definitions. */
export function encodeCheckRequest(r: EnvoyRequest): Buffer {
  return checkMethod.Check.requestSerialize(envoyCheckRequest(r));
}
const identity = (b: Buffer): Buffer => b;

/** A grpc-js client that sends `bytes` as they are (not necessarily a protobuf) to a unary `path`. */
export function rawUnaryCall(address: string, path: string, bytes: Buffer): Promise<Buffer> {
  const Ctor = grpc.makeGenericClientConstructor(
    {
      Call: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    "RawClient",
  );
  const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Call: (
      req: Buffer,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res: Buffer) => void,
    ) => void;
  };
  return new Promise<Buffer>((resolve, reject) =>
    client.Call(bytes, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res))),
  ).finally(() => client.close());
}

/** Sends raw `bytes` as the Check request body and decodes the answer with Envoy's own CheckResponse. */
export async function checkBytes(address: string, bytes: Buffer): Promise<EnvoyResponse> {
  const res = await rawUnaryCall(address, "/envoy.service.auth.v3.Authorization/Check", bytes);
  return checkMethod.Check.responseDeserialize(res);
}

/** grpc.health.v1 ServingStatus names by wire number. */
const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/**
 * grpc.health.v1.Health/Check for `service`, encoded by hand (HealthCheckRequest is one string field,
 * HealthCheckResponse one enum field) so the test depends on nothing Keyward generated.
 */
export async function healthCheck(address: string, service: string): Promise<string> {
  const name = Buffer.from(service, "utf8");
  if (name.length > 127) throw new Error("healthCheck: service names over 127 bytes are not encoded here");
  const request =
    name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name]);
  const res = await rawUnaryCall(address, "/grpc.health.v1.Health/Check", request);
  // proto3 leaves a zero enum off the wire: an empty answer is UNKNOWN.
  if (res.length === 0) return "UNKNOWN";
  if (res.length !== 2 || res[0] !== 0x08)
    throw new Error(`unexpected HealthCheckResponse ${res.toString("hex")}`);
  return SERVING_STATUS[res[1] as number] ?? String(res[1]);
}

/** A running grpc.health.v1.Health/Watch: every status heard so far, and how the call ended. */
export interface HealthWatch {
  statuses: string[];
  /** Resolves with the call's final status code (0 when it ended cleanly). */
  ended: Promise<number>;
  /** Resolves once `statuses` has `n` entries. */
  heard(n: number): Promise<void>;
  cancel(): void;
}

/** grpc.health.v1.Health/Watch for `service` from a grpc-js client, messages encoded by hand as in `healthCheck`. */
export function healthWatch(address: string, service: string): HealthWatch {
  const Ctor = grpc.makeGenericClientConstructor(
    {
      Watch: {
        path: "/grpc.health.v1.Health/Watch",
        requestStream: false,
        responseStream: true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    "HealthWatch",
  );
  const client = new Ctor(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Watch: (req: Buffer) => grpc.ClientReadableStream<Buffer>;
  };
  const name = Buffer.from(service, "utf8");
  const call = client.Watch(
    name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name]),
  );
  const statuses: string[] = [];
  const waiters: (() => void)[] = [];
  call.on("data", (res: Buffer) => {
    statuses.push(res.length === 0 ? "UNKNOWN" : (SERVING_STATUS[res[1] as number] ?? String(res[1])));
    for (const wake of waiters.splice(0)) wake();
  });
  const ended = new Promise<number>((resolve) => {
    call.on("status", (s: grpc.StatusObject) => {
      client.close();
      resolve(s.code);
    });
    call.on("error", () => {});
  });
  const heard = async (n: number) => {
    while (statuses.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { statuses, ended, heard, cancel: () => call.cancel() };
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(value: number, width: number): string {
  let out = "";
  for (let v = value; v > 0; v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out.padStart(width, "0");
}

/**
 * A key with the documented shape and a valid checksum that no store holds, computed from DESIGN.md's format
 * (`{prefix}_{env}_{43 base62}{6-char base62 CRC-32}`) independently of Keyward's own key code.
 */
export function wellFormedKey(environment: "live" | "test" = "live", prefix = "sk"): string {
  let body = "";
  for (let i = 0; i < 43; i++) body += BASE62[randomInt(62)];
  const head = `${prefix}_${environment}_${body}`;
  return head + base62(crc32(head), 6);
}

/** `key` with one checksum character changed, so its checksum no longer matches. */
export function withBrokenChecksum(key: string): string {
  const last = key.at(-1) as string;
  return key.slice(0, -1) + (last === "0" ? "1" : "0");
}

/**
 * The secrets of `secrets` that appear in any of `texts`, whole or by their random body (the 43 characters
 * after `{prefix}_{env}_`), which is what would let someone rebuild the key.
 */
export function leakedSecrets(secrets: readonly string[], texts: readonly string[]): string[] {
  return secrets.filter((secret) => {
    const body = secret.split("_")[2]?.slice(0, 43) ?? secret;
    return texts.some((text) => text.includes(secret) || text.includes(body));
  });
}

/** "allow", or the denial's error code. */
export function outcomeCode(res: EnvoyResponse): string {
  return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
}

/** Everything a denial shows the client, as text: status message, headers and body. */
export function denialText(res: EnvoyResponse): string {
  return JSON.stringify({ status: res.status, denied: res.denied_response ?? null });
}
