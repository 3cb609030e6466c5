import type * as http2 from "node:http2";
import { constants as http2constants } from "node:http2";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { answerMessage } from "../../src/authz/transport/grpc-answer.js";
import { grpcRouter } from "../../src/authz/transport/grpc-router.js";
import { type H2cListener, listenH2c } from "../../src/authz/transport/h2c-listener.js";
import { httpConnections } from "../../src/authz/transport/http1-connections.js";
import { connectH2c, grpcFrame, grpcMessages, rawGrpcCall } from "../helpers/raw-grpc.js";

const LIMITS = { maxConnections: 100, firstBytesMs: 10_000, idleMs: 300_000 };

// The transport alone, on a real port: what another protocol plugs into, and how connections are kept alive.

const ECHO = "/test.Echo/Echo";
const echo = grpcRouter(
  new Map([
    [
      ECHO,
      (stream: http2.ServerHttp2Stream) =>
        stream.once("data", (d: Buffer) => answerMessage(stream, d.subarray(5))),
    ],
  ]),
  (stream, headers) => {
    stream.respond({ ":status": 200, "content-type": "text/plain" });
    stream.end(`h2 ${headers[":method"]} ${headers[":path"]} from ${stream.session?.socket?.remoteAddress}`);
  },
);
const http1 = () =>
  httpConnections((req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`h1 ${req.method} ${req.url} from ${req.socket.remoteAddress}`);
  });

describe("the authz transport: one port, two protocols, keepalive", () => {
  let listener: H2cListener | undefined;
  afterEach(async () => {
    await listener?.close(1000);
    listener = undefined;
  });

  it("hands HTTP/1.1 connections to the plugged-in handler, with the peer's address", async () => {
    listener = await listenH2c({
      listen: { host: "127.0.0.1", port: 0 },
      onStream: echo,
      http1: http1(),
      limits: LIMITS,
    });
    const res = await fetch(`http://127.0.0.1:${listener.port}/authz/forward?scopes=a`, { method: "POST" });
    expect(await res.text()).toBe("h1 POST /authz/forward?scopes=a from 127.0.0.1");
  });

  it("hands non-gRPC HTTP/2 streams to the plugged-in handler, and gRPC calls to their method", async () => {
    listener = await listenH2c({
      listen: { host: "127.0.0.1", port: 0 },
      onStream: echo,
      http1: http1(),
      limits: LIMITS,
    });
    const session = connectH2c(`127.0.0.1:${listener.port}`);
    try {
      const text = await new Promise<string>((resolve) => {
        const req = session.request({ ":method": "GET", ":path": "/authz/nginx" });
        let body = "";
        req.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        req.on("end", () => resolve(body));
        req.end();
      });
      expect(text).toBe("h2 GET /authz/nginx from 127.0.0.1");
      const answer = await rawGrpcCall(session, ECHO, grpcFrame(Buffer.from("ping"))).answer;
      expect(answer.status).toBe("0");
      expect(grpcMessages(answer.body).map(String)).toEqual(["ping"]);
    } finally {
      session.close();
    }
  });

  it("tells a request line from the preface when it arrives one byte at a time", async () => {
    listener = await listenH2c({
      listen: { host: "127.0.0.1", port: 0 },
      onStream: echo,
      http1: http1(),
      limits: LIMITS,
    });
    const port = listener.port;
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      const request = Buffer.from(
        "PUT /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      );
      let at = 0;
      const drip = setInterval(() => {
        if (at < request.length) socket.write(request.subarray(at, ++at));
        else clearInterval(drip);
      }, 2);
      let got = "";
      socket.setEncoding("utf8").on("data", (d: string) => {
        got += d;
      });
      socket.on("close", () => resolve(got));
    });
    expect(reply).toContain("h1 PUT /x from 127.0.0.1");
  });

  it("drops a peer that stops answering PINGs, and keeps one that answers", async () => {
    listener = await listenH2c({
      limits: LIMITS,
      listen: { host: "127.0.0.1", port: 0 },
      onStream: echo,
      http1: http1(),
      keepalive: { idleMs: 100, timeoutMs: 200 },
    });
    const live = connectH2c(`127.0.0.1:${listener.port}`);
    // A peer that opens HTTP/2 and then never answers anything (its PING ACKs never come).
    const silent = net.connect(listener.port, "127.0.0.1", () =>
      silent.write(
        Buffer.concat([
          Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
          Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
        ]),
      ),
    );
    silent.resume();
    const silentClosed = new Promise<boolean>((resolve) => silent.on("close", () => resolve(true)));
    try {
      expect(await silentClosed).toBe(true);
      expect(live.closed || live.destroyed).toBe(false);
      const answer = await rawGrpcCall(live, ECHO, grpcFrame(Buffer.from("still here"))).answer;
      expect(grpcMessages(answer.body).map(String)).toEqual(["still here"]);
    } finally {
      live.close();
      silent.destroy();
    }
  });

  it("drops a connection it refused with GOAWAY even when the peer keeps it open", async () => {
    listener = await listenH2c({
      limits: LIMITS,
      listen: { host: "127.0.0.1", port: 0 },
      onStream: echo,
      http1: http1(),
      keepalive: { idleMs: 100, timeoutMs: 200 },
    });
    const port = listener.port;
    // A DATA frame on stream 0 is a connection error: Node sends GOAWAY but would wait for the peer to close.
    const closed = await new Promise<boolean>((resolve) => {
      const peer = net.connect(port, "127.0.0.1", () =>
        peer.write(
          Buffer.concat([
            Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
            Buffer.from([0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
          ]),
        ),
      );
      peer.resume();
      peer.on("close", () => resolve(true));
    });
    expect(closed).toBe(true);
    expect(listener.sessionCount).toBe(0);
  });

  it("closes an h2c connection with no stream open for the idle limit, whatever PINGs it answers", async () => {
    const idleMs = 400;
    listener = await listenH2c({
      limits: { ...LIMITS, idleMs },
      listen: { host: "127.0.0.1", port: 0 },
      onStream: echo,
      http1: http1(),
      keepalive: { idleMs: 50, timeoutMs: 1000 },
    });
    const idle = connectH2c(`127.0.0.1:${listener.port}`);
    const busy = connectH2c(`127.0.0.1:${listener.port}`);
    const holding = connectH2c(`127.0.0.1:${listener.port}`);
    const idleGoaway = new Promise<void>((resolve) => idle.once("goaway", () => resolve()));
    try {
      await rawGrpcCall(idle, ECHO, grpcFrame(Buffer.from("once"))).answer;
      // One stream held open, unanswered, for longer than the idle limit: the connection is in use.
      const held = rawGrpcCall(holding, ECHO, Buffer.alloc(0), { end: false });
      for (let elapsed = 0; elapsed < idleMs * 3; elapsed += idleMs / 4) {
        const answer = await rawGrpcCall(busy, ECHO, grpcFrame(Buffer.from("again"))).answer;
        expect(grpcMessages(answer.body).map(String)).toEqual(["again"]);
        await new Promise((resolve) => setTimeout(resolve, idleMs / 4));
      }
      await idleGoaway;
      const heldGoaway = new Promise<void>((resolve) => holding.once("goaway", () => resolve()));
      held.stream.end(grpcFrame(Buffer.from("late")));
      expect(grpcMessages((await held.answer).body).map(String)).toEqual(["late"]);
      expect([busy.closed, holding.closed]).toEqual([false, false]);
      // Once its last stream has closed, the connection that held one goes idle too.
      await heldGoaway;
    } finally {
      idle.destroy();
      busy.destroy();
      holding.destroy();
    }
  });

  it("survives a client resetting a stream with an error code while the server reads it", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    listener = await listenH2c({
      limits: LIMITS,
      listen: { host: "127.0.0.1", port: 0 },
      onStream: grpcRouter(
        new Map([[ECHO, (stream: http2.ServerHttp2Stream) => stream.on("data", () => {})]]),
      ),
      http1: http1(),
    });
    const session = connectH2c(`127.0.0.1:${listener.port}`);
    try {
      const { stream, answer } = rawGrpcCall(session, ECHO, Buffer.from("abc"), { end: false });
      await new Promise((resolve) => setTimeout(resolve, 50));
      stream.close(http2constants.NGHTTP2_INTERNAL_ERROR);
      expect((await answer).rstCode).toBe(http2constants.NGHTTP2_INTERNAL_ERROR);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
      session.close();
    }
  });
});
