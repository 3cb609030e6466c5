import type * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { Duplex } from "node:stream";
import type { ListenAddress } from "../config.js";
import { type ConnectionLimits, closeWhenIdle, guardedServer } from "../rpc/connection-guard.js";
import { handedOverHttpServer } from "../rpc/handed-over-http.js";

type Handler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** HTTP/2 sessions run over a wrapper stream whose socket has no address: their peers are kept here. */
const sessionPeers = new WeakMap<http2.Http2Session, string>();

/** The address of the client that sent `req`, over HTTP/1.1 or h2c alike. */
export function peerAddress(req: {
  socket?: { remoteAddress?: string } | null;
  stream?: unknown;
}): string | null {
  const session = (req.stream as http2.ServerHttp2Stream | undefined)?.session;
  if (session) return sessionPeers.get(session) ?? null;
  return req.socket?.remoteAddress ?? null;
}

/** A listening cleartext port that speaks HTTP/1.1 and h2c (prior knowledge) at once. */
export interface DualListener {
  port: number;
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `handler` over HTTP/1.1 and h2c on one port. The first bytes of each connection decide: the HTTP/2
 * preface goes to the HTTP/2 server, anything else to the HTTP/1.1 one. Connections are bounded by `limits`:
 * a cap, a deadline for the first bytes, and an idle timeout once the protocol is known.
 */
export async function listenDual(
  listen: ListenAddress,
  handler: Handler,
  limits: ConnectionLimits,
): Promise<DualListener> {
  const h1 = handedOverHttpServer({}, handler as http.RequestListener);
  const h2 = http2.createServer(
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  let connectingAddress: string | undefined;
  h2.on("session", (session) => {
    sessions.add(session);
    // Emitted synchronously while the connection below is handed over, so this is that connection's peer.
    if (connectingAddress) sessionPeers.set(session, connectingAddress);
    session.on("close", () => sessions.delete(session));
  });

  // No Nagle (set by guardedServer): small RPC answers must not wait for the peer's delayed ACK (h2c runs
  // through a wrapper stream that never gets its own setNoDelay).
  const tcp = guardedServer(limits, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const protocol = protocolOf(seen);
      if (protocol === undefined) return;
      socket.off("data", onData);
      socket.pause();
      closeWhenIdle(socket, limits.idleMs);
      if (protocol === "h2") {
        connectingAddress = socket.remoteAddress;
        h2.emit("connection", prefixed(socket, seen));
        connectingAddress = undefined;
      } else {
        socket.unshift(seen);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(listen.port, listen.host, () => resolve((tcp.address() as net.AddressInfo).port));
  });

  return {
    port,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const session of sessions) session.close();
        // Keep-alive sockets go as soon as they are idle; whatever is still busy after the grace period is cut.
        const deadline = Date.now() + graceMs;
        const sweep = setInterval(() => {
          h1.closeIdleConnections();
          if (Date.now() >= deadline) for (const socket of sockets) socket.destroy();
          if (sockets.size === 0) clearInterval(sweep);
        }, 20);
        h1.close();
      }),
  };
}

/**
 * Which server the bytes a connection opened with belong to, or undefined until there are enough to tell: the
 * whole HTTP/2 preface, or a byte that departs from it (a request line such as `POST /…` starts like it).
 */
export function protocolOf(first: Buffer): "h1" | "h2" | undefined {
  const n = Math.min(first.length, PREFACE.length);
  if (!first.subarray(0, n).equals(PREFACE.subarray(0, n))) return "h1";
  return n === PREFACE.length ? "h2" : undefined;
}

/**
 * The socket as a stream that first replays the bytes already read. HTTP/2 reads straight from the socket's
 * handle and would miss bytes put back with unshift(), so it gets this wrapper instead.
 */
function prefixed(socket: net.Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(first);
  socket.on("data", (chunk) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  return stream;
}
