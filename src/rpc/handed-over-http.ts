import * as http from "node:http";

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
