import * as net from "node:net";
import type { ConnectionLimits } from "../config.js";

export type { ConnectionLimits };

/** What a connection opened with: the HTTP/2 preface (h2c, prior knowledge) or anything else. */
export type Opening = "h2" | "other";

/** A TCP server whose connections are routed by their first bytes. */
export interface RoutingServer {
  tcp: net.Server;
  /** Closes the connections that have not said enough yet to be routed (on shutdown). */
  dropUndecided(): void;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** "PRI " tells the preface from every HTTP/1.1 request line ("POST", "PUT", "PATCH" share its "P"). */
const DECISIVE_BYTES = 4;

/**
 * A TCP server for a port that speaks HTTP/2 and something else at once. Each connection's first bytes are
 * read until they tell the HTTP/2 preface from anything else; then they are put back and the paused socket
 * goes to `route`. Node's HTTP/2 session reads bytes put back before its own, so either server can take
 * the native socket. Bounded by `limits`: connections past `maxConnections` are closed as they arrive, and
 * one that has not said enough within `firstBytesMs` is closed, so a peer that only opens connections can
 * neither hold file descriptors forever nor exhaust them. No Nagle: small RPC answers must not wait for the
 * peer's delayed ACK.
 */
export function routingServer(
  limits: ConnectionLimits,
  route: (socket: net.Socket, opening: Opening) => void,
): RoutingServer {
  const undecided = new Set<net.Socket>();
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    undecided.add(socket);
    socket.on("error", () => socket.destroy());
    socket.once("close", () => undecided.delete(socket));
    readOpening(socket, limits.firstBytesMs, (opening) => {
      undecided.delete(socket);
      route(socket, opening);
    });
  });
  tcp.maxConnections = limits.maxConnections;
  return {
    tcp,
    dropUndecided() {
      for (const socket of undecided) socket.destroy();
    },
  };
}

/** Reads until the first bytes decide the opening, then puts them back and hands the paused socket on. */
function readOpening(socket: net.Socket, deadlineMs: number, decided: (opening: Opening) => void): void {
  let head: Buffer = Buffer.alloc(0);
  const onTimeout = () => socket.destroy();
  const onData = (chunk: Buffer) => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const n = Math.min(head.length, PREFACE.length);
    const matches = head.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (matches && head.length < DECISIVE_BYTES) return;
    socket.off("data", onData);
    socket.off("timeout", onTimeout);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(head);
    decided(matches ? "h2" : "other");
  };
  socket.setTimeout(deadlineMs, onTimeout);
  socket.on("data", onData);
}

/** Closes `socket` after `ms` without any traffic in either direction. */
export function closeWhenIdle(socket: net.Socket, ms: number): void {
  socket.setTimeout(ms, () => socket.destroy());
}
