import type * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import type { ListenAddress } from "../config.js";
import { type ConnectionLimits, closeWhenIdle, routingServer } from "../rpc/connection-guard.js";
import { closeHandedOver, handedOverHttpServer } from "../rpc/handed-over-http.js";

type Handler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** The address each HTTP/2 session's peer connected from, noted while its socket is still there to ask. */
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
  h2.on("session", (session) => {
    sessions.add(session);
    const address = session.socket.remoteAddress;
    if (address) sessionPeers.set(session, address);
    session.on("close", () => sessions.delete(session));
    // The HTTP/2 session reads the socket itself, so the socket's own timer never sees that traffic.
    session.setTimeout(limits.idleMs, () => session.close());
  });
  const { tcp, dropUndecided } = routingServer(limits, (socket, opening) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    if (opening === "h2") {
      h2.emit("connection", socket);
    } else {
      closeWhenIdle(socket, limits.idleMs);
      h1.emit("connection", socket);
      socket.resume();
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(listen.port, listen.host, () => resolve((tcp.address() as net.AddressInfo).port));
  });

  return {
    port,
    async close(graceMs = 5000) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      dropUndecided();
      for (const session of sessions) session.close();
      await Promise.all([closed, closeHandedOver(h1, sockets, graceMs)]);
    },
  };
}
