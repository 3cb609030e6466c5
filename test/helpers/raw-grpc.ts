import * as http2 from "node:http2";

/** What one gRPC call on a raw HTTP/2 stream got back: headers, trailers, body and how the stream ended. */
export interface RawAnswer {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  /** grpc-status from the trailers, or from the headers of a trailers-only answer. */
  status: string | undefined;
  /** grpc-message exactly as it came over the wire (still percent-encoded). */
  rawMessage: string | undefined;
  body: Buffer;
  rstCode: number | undefined;
}

/** One gRPC message frame: a flag byte, a 32-bit length (the real one unless `length` says otherwise) and the bytes. */
export function grpcFrame(bytes: Buffer, options: { flag?: number; length?: number } = {}): Buffer {
  const head = Buffer.alloc(5);
  head[0] = options.flag ?? 0;
  head.writeUInt32BE(options.length ?? bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

/** The messages of a gRPC response body. */
export function grpcMessages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    out.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/** An h2c connection to `address` (`host:port`) with no gRPC library in between. */
export function connectH2c(address: string): http2.ClientHttp2Session {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  return session;
}

/**
 * Sends a gRPC request on a raw stream: the given headers over the defaults (POST, `application/grpc`,
 * `te: trailers`), then `body` (written in the given pieces) and the end of the stream, unless `end` is false.
 */
export function rawGrpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer | Buffer[],
  options: { headers?: http2.OutgoingHttpHeaders; end?: boolean } = {},
): { stream: http2.ClientHttp2Stream; answer: Promise<RawAnswer> } {
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...options.headers,
  });
  const answer = new Promise<RawAnswer>((resolve) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      headers = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => {});
    stream.on("close", () => {
      const source = trailers["grpc-status"] !== undefined ? trailers : headers;
      resolve({
        headers,
        trailers,
        status: source["grpc-status"] as string | undefined,
        rawMessage: source["grpc-message"] as string | undefined,
        body: Buffer.concat(chunks),
        rstCode: stream.rstCode,
      });
    });
  });
  for (const piece of Array.isArray(body) ? body : [body]) stream.write(piece);
  if (options.end !== false) stream.end();
  return { stream, answer };
}
