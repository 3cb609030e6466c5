import type * as http from "node:http";
import type * as net from "node:net";
import { closeHandedOver, handedOverHttpServer } from "../../rpc/handed-over-http.js";

/**
 * A second protocol on the authz port: it receives every connection that does not open with the HTTP/2
 * preface, paused, with the bytes already read put back.
 */
export interface ConnectionHandler {
  accept(socket: net.Socket): void;
  /** Stops taking requests; busy connections get up to `graceMs` to finish. */
  close(graceMs: number): Promise<void>;
}

/**
 * Request headers past this are refused (431) unread: the same bound as an h2c stream's header list, room
 * for a browser's cookies on a forward-auth request.
 */
export const MAX_HTTP1_HEADER_BYTES = 64 * 1024;

/** Serves `listener` (a plain Node HTTP/1.1 request listener) on the connections handed over. */
export function httpConnections(listener: http.RequestListener): ConnectionHandler {
  const server = handedOverHttpServer({ maxHeaderSize: MAX_HTTP1_HEADER_BYTES }, listener);
  const sockets = new Set<net.Socket>();
  return {
    accept(socket) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      server.emit("connection", socket);
      socket.resume();
    },
    close: (graceMs) => closeHandedOver(server, sockets, graceMs),
  };
}

/** What the authz port says to HTTP/1.1 until a handler is plugged in: 404 to every request. */
export function notFoundConnections(): ConnectionHandler {
  return httpConnections((_req, res) => {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", connection: "close" });
    res.end("not found: this port serves gRPC over h2c\n");
  });
}
