import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { afterAll, beforeAll } from "vitest";
import { type CheckHarness, useCheckApp } from "./harness.js";
import type { TestAppOptions } from "./test-app.js";

/** What a forward-auth endpoint answered. */
export interface ForwardReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A suite's running app with a forward-auth client on each HTTP version (see `useForwardApp`). */
export interface ForwardHarness extends CheckHarness {
  /** HTTP/1.1 keep-alive, one connection. */
  readonly h1: Http1Forward;
  /** h2c, one session. */
  readonly h2: H2cForward;
}

/** `useCheckApp` with forward-auth clients on the authz port, opened before the suite's tests. */
export function useForwardApp(options: TestAppOptions = {}): ForwardHarness {
  const h = useCheckApp(options);
  let h1: Http1Forward | undefined;
  let h2: H2cForward | undefined;
  beforeAll(() => {
    h1 = new Http1Forward(h.t.authzAddress);
    h2 = new H2cForward(h.t.authzAddress);
  });
  afterAll(() => {
    h1?.close();
    h2?.close();
  });
  const opened = <T>(client: T | undefined): T => {
    if (!client) throw new Error("a forward client is used before its suite started it");
    return client;
  };
  return {
    get t() {
      return h.t;
    },
    get envoy() {
      return h.envoy;
    },
    secrets: h.secrets,
    mint: h.mint,
    get h1() {
      return opened(h1);
    },
    get h2() {
      return opened(h2);
    },
  };
}

/** The denial body every error answer carries. */
export function errorOf(reply: ForwardReply): { code: string; message: string; required_scopes?: string[] } {
  return (JSON.parse(reply.body) as { error: { code: string; message: string; required_scopes?: string[] } })
    .error;
}

/**
 * A forward-auth client over HTTP/1.1 keep-alive, as a proxy holds it: one connection reused. `headers` may
 * repeat a name (a list of pairs), which node:http sends as separate header lines.
 */
export class Http1Forward {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly address: string) {}

  request(
    target: string,
    headers: Record<string, string> | [string, string][] = {},
    method = "GET",
  ): Promise<ForwardReply> {
    const [host, port] = this.address.split(":");
    const list = Array.isArray(headers) ? headers : Object.entries(headers);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host, port: Number(port), path: target, method, agent: this.agent },
        (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: flat(res.headers), body }));
        },
      );
      req.on("error", reject);
      for (const [name, value] of groupByName(list)) req.setHeader(name, value);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A forward-auth client over h2c (prior knowledge), one session. */
export class H2cForward {
  /** The connection, for tests that watch it close. */
  readonly session: http2.ClientHttp2Session;

  constructor(address: string) {
    this.session = http2.connect(`http://${address}`);
    this.session.on("error", () => {});
  }

  request(
    target: string,
    headers: Record<string, string | string[]> = {},
    method = "GET",
  ): Promise<ForwardReply> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({ ":method": method, ":path": target, ...headers });
      let status = 0;
      let got: Record<string, string> = {};
      let body = "";
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        got = flat(h as http.IncomingHttpHeaders);
      });
      stream.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      stream.on("end", () => resolve({ status, headers: got, body }));
      stream.on("error", reject);
      stream.end();
    });
  }

  close(): void {
    this.session.close();
  }
}

/**
 * One h2c request whose header block is written by hand (HPACK literals, no Huffman), so it may repeat a
 * header Node's client refuses to repeat (`authorization`). Resolves to the response body (its DATA frames):
 * the response's own header block is HPACK-compressed, the body is not.
 */
export function rawH2cBody(address: string, headers: [string, string][]): Promise<string> {
  const [host, port] = address.split(":");
  const block = Buffer.concat(headers.map(([name, value]) => literal(name, value)));
  const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(stream, 5);
    return Buffer.concat([head, payload]);
  };
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host, () => {
      socket.write(
        Buffer.concat([
          Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
          frame(4, 0, 0, Buffer.alloc(0)),
          // HEADERS on stream 1: END_STREAM | END_HEADERS.
          frame(1, 0x5, 1, block),
        ]),
      );
    });
    let got = Buffer.alloc(0);
    let body = "";
    socket.on("data", (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      while (got.length >= 9 && got.length >= 9 + got.readUIntBE(0, 3)) {
        const length = got.readUIntBE(0, 3);
        const [type, flags] = [got[3] as number, got[4] as number];
        const stream = got.readUInt32BE(5) & 0x7fffffff;
        const payload = got.subarray(9, 9 + length);
        got = got.subarray(9 + length);
        if (stream !== 1) continue;
        if (type === 0) body += payload.toString("utf8");
        if ((type === 0 || type === 1) && flags & 0x1) {
          socket.destroy();
          resolve(body);
          return;
        }
      }
    });
    socket.on("error", reject);
  });
}

/** An HPACK "literal header field without indexing, new name" (names and values under 127 bytes). */
function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]);
}

function groupByName(list: [string, string][]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of list) out.set(name, [...(out.get(name) ?? []), value]);
  return out;
}

function flat(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
