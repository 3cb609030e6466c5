/**
 * Child entry: the "bare" baseline. A plain `node:http2` server with no gRPC library and no framing checks:
 * it reads each request to its end and answers an empty CheckResponse (one empty gRPC message) with status
 * OK in the trailers. It is the least any gRPC server on node:http2 can do per call, so Keyward's figures
 * divided by these ones show what its own gRPC handling and Check cost on top of Node's HTTP/2.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { serveParent } from "./child-protocol.js";

/** What the parent learns when the baseline listens. */
export interface BareServerInfo {
  authzPort: number;
}

/** An empty message: not compressed, length zero. */
const EMPTY_MESSAGE = Buffer.alloc(5);
const HEADERS = { ":status": 200, "content-type": "application/grpc" };
// With `endStream` set here, respond()'s copy of the options keeps one shape from call to call (see
// src/authz/transport/grpc-answer.ts): without it, the least a server can do would include three misses of
// V8's inline caches per call that any server can avoid.
const OPTIONS = { endStream: false, waitForTrailers: true, sendDate: false };
const TRAILERS = { "grpc-status": "0" };

function sendTrailers(this: http2.ServerHttp2Stream): void {
  this.sendTrailers(TRAILERS);
}

function answer(this: http2.ServerHttp2Stream): void {
  this.respond(HEADERS, OPTIONS);
  this.once("wantTrailers", sendTrailers);
  this.end(EMPTY_MESSAGE);
}

await serveParent<BareServerInfo>(async () => {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.on("stream", (stream) => {
    stream.on("data", () => {});
    stream.once("end", answer);
  });
  const authzPort = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    info: { authzPort },
    handlers: {},
    shutdown: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
});
