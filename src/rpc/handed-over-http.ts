import * as http from "node:http";
import type * as net from "node:net";

/**
 * An HTTP/1.1 server for connections accepted elsewhere and handed to it with `emit("connection", socket)`: it
 * never listens itself. Node starts tracking a server's connections when the server emits "listening"; without
 * that, `closeIdleConnections()` finds none (a stop then waited for every idle keep-alive connection to time
 * out, about 4 s) and the headers and request timeouts are never checked. `close()` stops the tracking again.
 */
export function handedOverHttpServer(
  options: http.ServerOptions,
  listener: http.RequestListener,
): http.Server {
  const server = http.createServer(options, listener);
  server.emit("listening");
  return server;
}

/**
 * Stops `server` taking requests and resolves once every socket in `sockets` (a live set the caller keeps) has
 * closed: keep-alive connections go as soon as they are idle, and whatever is still busy after `graceMs` is cut.
 */
export function closeHandedOver(
  server: http.Server,
  sockets: ReadonlySet<net.Socket>,
  graceMs: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const deadline = Date.now() + graceMs;
    const sweep = () => {
      server.closeIdleConnections();
      if (Date.now() >= deadline) for (const socket of sockets) socket.destroy();
      if (sockets.size === 0) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(sweep, 20);
    server.close();
    sweep();
  });
}
