import * as http2 from "node:http2";
import type * as net from "node:net";
import type { ConnectionLimits, ListenAddress } from "../../config.js";
import { routingServer } from "../../rpc/connection-guard.js";
import type { ConnectionHandler } from "./http1-connections.js";
import { AUTHZ_HTTP2_SETTINGS, CONNECTION_WINDOW_BYTES, KEEPALIVE } from "./http2-settings.js";

/**
 * Receives every HTTP/2 stream of every h2c connection, with its headers as Node merged them and as they
 * arrived (names and values in turn, repeats kept: Node drops a repeated `authorization`).
 */
export type StreamHandler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  rawHeaders?: string[],
) => void;

/** What the port serves: h2c streams, and a handler for connections that speak anything else. */
export interface H2cListenerOptions {
  listen: ListenAddress;
  onStream: StreamHandler;
  http1: ConnectionHandler;
  /** The connection cap, the deadline for a connection's first bytes, and the idle limit of an h2c one. */
  limits: ConnectionLimits;
  /** Overrides the keepalive timing (tests). */
  keepalive?: { idleMs: number; timeoutMs: number };
}

/** A listening port serving h2c (prior knowledge) and, beside it, whatever else `http1` speaks. */
export interface H2cListener {
  port: number;
  /** Open HTTP/2 connections. */
  readonly sessionCount: number;
  /**
   * Stops accepting connections and sends GOAWAY on every open one: calls in flight finish, new ones go
   * elsewhere. Whatever is still open after `graceMs` is cut; resolves to the number of connections cut.
   */
  close(graceMs: number): Promise<number>;
}

/**
 * One TCP port, routed by each connection's first bytes (`routingServer`): the HTTP/2 preface goes to
 * Node's HTTP/2 server, whose streams run on the native socket with no wrapper; anything else to `http1`.
 */
export async function listenH2c(options: H2cListenerOptions): Promise<H2cListener> {
  const h2 = http2.createServer(AUTHZ_HTTP2_SETTINGS);
  const onStream = (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    _flags: number,
    rawHeaders: string[],
  ) => {
    // A peer's RST_STREAM with an error code destroys the stream with an error; unheard, it would end the
    // process. The stream is gone either way, and a late answer finds it closed.
    stream.on("error", ignore);
    options.onStream(stream, headers, rawHeaders);
  };
  // Node passes the raw header list as a fourth argument its type declarations leave out.
  h2.on("stream", onStream as (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    closeWhenIdle(session, options.limits.idleMs);
  });
  const { tcp, dropUndecided } = routingServer(options.limits, (socket, opening) => {
    if (opening === "h2") h2.emit("connection", socket);
    else options.http1.accept(socket);
  });
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.listen.port, options.listen.host, () =>
      resolve((tcp.address() as net.AddressInfo).port),
    );
  });
  const keepalive = startKeepalive(sessions, options.keepalive ?? KEEPALIVE);
  return {
    port,
    get sessionCount() {
      return sessions.size;
    },
    async close(graceMs) {
      clearInterval(keepalive);
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      dropUndecided();
      for (const session of sessions) session.close();
      const http1 = options.http1.close(graceMs);
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([closed, grace]);
      // A session that ended its last stream is destroyed at once, but says "close" a tick later.
      const cut = [...sessions].filter((session) => !session.destroyed).length;
      for (const session of sessions) session.destroy();
      await Promise.all([closed, http1]);
      return cut;
    },
  };
}

/**
 * Pings every connection each `idleMs`; one that does not answer within `timeoutMs` is a peer that went
 * away without closing (a crashed host, a dropped NAT entry), and is dropped.
 */
function startKeepalive(
  sessions: Set<http2.ServerHttp2Session>,
  timing: { idleMs: number; timeoutMs: number },
): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const session of sessions) {
      if (session.closed || session.destroyed) continue;
      const dead = setTimeout(() => session.destroy(), timing.timeoutMs).unref();
      const sent = session.ping((err) => {
        clearTimeout(dead);
        if (err && !session.destroyed) session.destroy();
      });
      if (!sent) clearTimeout(dead);
    }
  }, timing.idleMs);
  return timer.unref();
}

function ignore(): void {}

/**
 * Closes a connection gracefully (GOAWAY) once it has had no stream open for `idleMs`. Keepalive PINGs do not
 * count as use, so an idle connection is not kept open by the pings that check it is still there.
 */
function closeWhenIdle(session: http2.ServerHttp2Session, idleMs: number): void {
  let open = 0;
  // One timer for the session's life, restarted when its last stream closes: a stream costs a counter and a
  // shared listener, no timer of its own. Firing while a stream is open does nothing; that stream's close
  // starts the count again.
  const timer = setTimeout(() => {
    if (open === 0) session.close();
  }, idleMs).unref();
  const onStreamClose = () => {
    if (--open === 0 && !session.closed) timer.refresh();
  };
  session.on("stream", (stream) => {
    open++;
    stream.on("close", onStreamClose);
  });
  session.once("close", () => clearTimeout(timer));
}
