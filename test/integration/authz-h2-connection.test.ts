import * as http2 from "node:http2";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyClient, encodeCheckRequest } from "../helpers/envoy-client.js";
import { connectH2c, grpcFrame, rawGrpcCall } from "../helpers/raw-grpc.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const CHECK = "/envoy.service.auth.v3.Authorization/Check";

/** Writes `bytes` on a fresh TCP connection and resolves when the server closes it. */
function closedAfter(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    const got: Buffer[] = [];
    socket.on("data", (d) => got.push(d));
    socket.on("error", () => {});
    socket.on("close", () => resolve(Buffer.concat(got)));
  });
}

/** True when `bytes` (frames from the server, after its preface) hold a frame of `type`. */
function hasFrameOfType(bytes: Buffer, type: number): boolean {
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    if (bytes[at + 3] === type) return true;
  }
  return false;
}

describe("authz listener: HTTP/2 connections", () => {
  let t: TestApp;
  let session: http2.ClientHttp2Session;
  let acme: { secret: string; id: string };
  const request = () => encodeCheckRequest({ headers: { authorization: `Bearer ${acme.secret}` } });
  const allowed = async (s: http2.ClientHttp2Session) => {
    const answer = await rawGrpcCall(s, CHECK, grpcFrame(request())).answer;
    return answer.status === "0" && answer.body.length > 5;
  };

  beforeAll(async () => {
    t = await startTestApp();
    session = connectH2c(t.authzAddress);
    acme = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
  });
  afterAll(async () => {
    session.close();
    await t.close();
  });

  it("advertises the HTTP/2 settings it was given", async () => {
    if (!session.remoteSettings.maxConcurrentStreams || session.pendingSettingsAck) {
      await new Promise((resolve) => session.once("remoteSettings", resolve));
    }
    expect(session.remoteSettings).toMatchObject({
      maxConcurrentStreams: 1024,
      initialWindowSize: 1024 * 1024,
      maxHeaderListSize: 64 * 1024,
      enablePush: false,
    });
  });

  it("answers PING", async () => {
    const rtt = await new Promise<number>((resolve, reject) =>
      session.ping((err, duration) => (err ? reject(err) : resolve(duration))),
    );
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it("keeps a grpc-js channel with keepalive pings working across idle periods", async () => {
    const envoy = new EnvoyClient(t.authzAddress, 5000, {
      "grpc.keepalive_time_ms": 100,
      "grpc.keepalive_timeout_ms": 2000,
      "grpc.keepalive_permit_without_calls": 1,
    });
    try {
      const first = await envoy.check({ headers: { authorization: `Bearer ${acme.secret}` } });
      await new Promise((resolve) => setTimeout(resolve, 600));
      const second = await envoy.check({ headers: { authorization: `Bearer ${acme.secret}` } });
      expect([first.status.code, second.status.code]).toEqual([0, 0]);
    } finally {
      envoy.close();
    }
  });

  it("serves HTTP/1.1 forward auth on the same port, and 404 elsewhere", async () => {
    const forward = await fetch(`http://${t.authzAddress}/authz/forward`);
    expect(forward.status).toBe(401);
    expect((await forward.json()).error.code).toBe("missing_key");
    expect((await fetch(`http://${t.authzAddress}/`)).status).toBe(404);
  });

  it("answers a plain (non-gRPC) HTTP/2 request on an unknown path with 404", async () => {
    const status = await new Promise<number>((resolve) => {
      const req = session.request({ ":method": "GET", ":path": "/" });
      req.on("response", (h) => resolve(Number(h[":status"])));
      req.resume();
      req.end();
    });
    expect(status).toBe(404);
  });

  it("drops a connection whose preface goes wrong after 'PRI ', and keeps serving others", async () => {
    const reply = await closedAfter(t.app.authz.port, Buffer.from("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\ngarbage"));
    expect(reply.toString("latin1")).not.toContain("HTTP/1.1 200");
    expect(await allowed(session)).toBe(true);
  });

  it("answers a protocol error after a valid preface with GOAWAY, and keeps serving others", async () => {
    const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    // A DATA frame on stream 0: a connection error (PROTOCOL_ERROR) in RFC 9113.
    const dataOnStreamZero = Buffer.from([0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    const goaway = await new Promise<boolean>((resolve) => {
      const socket = net.connect(t.app.authz.port, "127.0.0.1", () =>
        socket.write(Buffer.concat([preface, settings, dataOnStreamZero])),
      );
      let got = Buffer.alloc(0);
      socket.on("data", (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (hasFrameOfType(got, 7)) {
          socket.destroy();
          resolve(true);
        }
      });
      socket.on("close", () => resolve(false));
    });
    expect(goaway).toBe(true);
    expect(await allowed(session)).toBe(true);
  });

  it("refuses a header list past its limit without failing the connection's other calls", async () => {
    const other = connectH2c(t.authzAddress);
    try {
      const answer = await rawGrpcCall(other, CHECK, grpcFrame(request()), {
        headers: { "x-big": "a".repeat(100 * 1024) },
      }).answer;
      expect(answer.status).toBeUndefined();
      const fresh = connectH2c(t.authzAddress);
      expect(await allowed(fresh)).toBe(true);
      fresh.close();
    } finally {
      other.destroy();
    }
  });

  describe("RST_STREAM from the client mid-request", () => {
    // A reset stream is destroyed with an error on the server side: unhandled, it would end the process.
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    beforeAll(() => {
      process.on("uncaughtException", onUncaught);
    });
    afterAll(() => {
      process.off("uncaughtException", onUncaught);
    });

    it.each([
      ["CANCEL", http2.constants.NGHTTP2_CANCEL],
      ["INTERNAL_ERROR", http2.constants.NGHTTP2_INTERNAL_ERROR],
      ["PROTOCOL_ERROR", http2.constants.NGHTTP2_PROTOCOL_ERROR],
    ])("drops a call reset with %s and goes on serving the connection", async (_name, code) => {
      const framed = grpcFrame(request());
      const { stream, answer } = rawGrpcCall(session, CHECK, framed.subarray(0, 3), { end: false });
      await new Promise((resolve) => setTimeout(resolve, 20));
      stream.close(code);
      const reset = await answer;
      expect(reset.rstCode).toBe(code);
      expect(await allowed(session)).toBe(true);
      expect(uncaught).toEqual([]);
    });

    it("drops a call reset right after its whole request was sent", async () => {
      const { stream, answer } = rawGrpcCall(session, CHECK, grpcFrame(request()));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await answer;
      expect(await allowed(session)).toBe(true);
    });
  });

  it("leaves no stream open after all of the above: a graceful drain cuts no connection", async () => {
    expect(await allowed(session)).toBe(true);
    expect(await t.app.authz.drain(10_000)).toBe(0);
  });
});
