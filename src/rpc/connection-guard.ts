import * as net from "node:net";
import type { ConnectionLimits } from "../config.js";

export type { ConnectionLimits };

/**
 * A TCP server that refuses connections beyond `limits.maxConnections` and closes any that send nothing for
 * `limits.firstBytesMs`, handing each accepted socket to `onSocket`. A peer that only opens connections can
 * then neither hold file descriptors forever nor exhaust them.
 */
export function guardedServer(limits: ConnectionLimits, onSocket: (socket: net.Socket) => void): net.Server {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    closeIfSilent(socket, limits.firstBytesMs);
    onSocket(socket);
  });
  server.maxConnections = limits.maxConnections;
  return server;
}

/**
 * Closes `socket` if no byte has arrived after `ms`. Works whoever reads the socket (even a server that took
 * over its handle): the check is the socket's own count of bytes read. Returns a function that stops watching.
 */
export function closeIfSilent(socket: net.Socket, ms: number): () => void {
  const onTimeout = () => {
    if (socket.bytesRead === 0) socket.destroy();
    else stop();
  };
  const stop = () => {
    socket.off("timeout", onTimeout);
    socket.setTimeout(0);
  };
  socket.setTimeout(ms);
  socket.on("timeout", onTimeout);
  return stop;
}

/** Closes `socket` after `ms` without any traffic in either direction. */
export function closeWhenIdle(socket: net.Socket, ms: number): void {
  socket.setTimeout(ms, () => socket.destroy());
}
