import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { BadRequestSchema } from "../../src/gen/google/rpc/error_details_pb.js";
import { KeyAdminService } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";

/** The three wire protocols the admin listener serves, each on the HTTP version a real client would use. */
export const TRANSPORTS = ["connect-json-http1", "grpc-h2c", "grpc-web-http1"] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** A typed KeyAdminService client. */
export type KeyAdminClient = Client<typeof KeyAdminService>;

/** Sets `headers` on every call. */
function withHeaders(headers: Record<string, string>): Interceptor {
  return (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  };
}

/**
 * Clients over real transports against one admin listener. The h2c sessions they open are tracked so `close`
 * ends them: a forgotten HTTP/2 session keeps the server's close waiting.
 */
export class AdminClients {
  private readonly sessions: Http2SessionManager[] = [];

  constructor(private readonly adminUrl: string) {}

  /** A KeyAdminService client over `transport` sending `authorization: Bearer <key>`, or no credential. */
  client(transport: TransportName, key: string | null): KeyAdminClient {
    return this.clientWithHeaders(transport, key === null ? {} : { authorization: `Bearer ${key}` });
  }

  /** A KeyAdminService client over `transport` sending exactly `headers` on every call. */
  clientWithHeaders(transport: TransportName, headers: Record<string, string>): KeyAdminClient {
    const interceptors = [withHeaders(headers)];
    const baseUrl = this.adminUrl;
    switch (transport) {
      case "connect-json-http1":
        return createClient(
          KeyAdminService,
          createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, interceptors }),
        );
      case "grpc-h2c": {
        const sessionManager = new Http2SessionManager(baseUrl);
        this.sessions.push(sessionManager);
        return createClient(KeyAdminService, createGrpcTransport({ baseUrl, sessionManager, interceptors }));
      }
      case "grpc-web-http1":
        return createClient(
          KeyAdminService,
          createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }),
        );
    }
  }

  /** Ends every HTTP/2 session these clients opened. */
  close(): void {
    for (const s of this.sessions.splice(0)) s.abort();
  }
}

/** Calls every unary KeyAdminService RPC with an empty request; each entry is [method name, outcome]. */
export function callEveryRpc(client: KeyAdminClient): [string, Promise<unknown>][] {
  return KeyAdminService.methods
    .filter((m) => m.methodKind === "unary")
    .map((m) => {
      const call = (client as unknown as Record<string, (req: object) => Promise<unknown>>)[m.localName];
      if (!call) throw new Error(`the client has no ${m.localName}`);
      return [m.name, call({})];
    });
}

/** The ConnectError a call failed with; fails the test when the call succeeds or fails otherwise. */
export async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** The fields named by an error's google.rpc.BadRequest details. */
export function violatedFields(err: ConnectError): string[] {
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

/** Asserts-by-throwing helper: the call fails with INVALID_ARGUMENT; returns the fields it names. */
export async function invalidFields(call: Promise<unknown>): Promise<string[]> {
  const err = await rpcError(call);
  if (err.code !== Code.InvalidArgument) {
    throw new Error(`expected INVALID_ARGUMENT, got ${Code[err.code]}: ${err.rawMessage}`);
  }
  return violatedFields(err);
}

/** What a curl-style Connect JSON POST answered. */
export interface JsonReply {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * POSTs a Connect unary JSON request, as `curl -H 'content-type: application/json' -d '…'` would, to
 * `/keyward.admin.v1.KeyAdminService/<method>`. `body` is sent as is when it is a string.
 */
export async function postConnectJson(
  adminUrl: string,
  method: string,
  body: unknown,
  key: string | null,
): Promise<JsonReply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${adminUrl}/keyward.admin.v1.KeyAdminService/${method}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text, so a test can say what came back.
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
