import type * as http2 from "node:http2";
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeCheckResponse,
  deniedBody,
  type EnvoyResponse,
  encodeCheckRequest,
  okHeaders,
} from "../helpers/envoy-client.js";
import { connectH2c, grpcFrame, grpcMessages, type RawAnswer, rawGrpcCall } from "../helpers/raw-grpc.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const CHECK = "/envoy.service.auth.v3.Authorization/Check";
const MiB = 1024 * 1024;

/** The single CheckResponse of an answer that has status OK. */
function checkResponse(answer: RawAnswer): EnvoyResponse {
  expect(answer.status).toBe("0");
  const messages = grpcMessages(answer.body);
  expect(messages).toHaveLength(1);
  return decodeCheckResponse(messages[0] as Buffer);
}

describe("authz listener: gRPC framing, content types and encodings", () => {
  let t: TestApp;
  let session: http2.ClientHttp2Session;
  let acme: { secret: string; id: string };
  const request = () => encodeCheckRequest({ headers: { authorization: `Bearer ${acme.secret}` } });
  const call = (body: Buffer | Buffer[], headers?: http2.OutgoingHttpHeaders, path = CHECK) =>
    rawGrpcCall(session, path, body, { headers }).answer;

  beforeAll(async () => {
    t = await startTestApp();
    session = connectH2c(t.authzAddress);
    acme = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
  });
  afterAll(async () => {
    session.close();
    await t.close();
  });

  it.each(["application/grpc", "application/grpc+proto", "application/grpc;charset=utf-8"])(
    "answers a Check sent as %s",
    async (contentType) => {
      const res = checkResponse(await call(grpcFrame(request()), { "content-type": contentType }));
      expect(okHeaders(res)["x-keyward-key-id"]).toBe(acme.id);
    },
  );

  it("answers with application/grpc and grpc-status 0 in the trailers", async () => {
    const answer = await call(grpcFrame(request()));
    expect(answer.headers[":status"]).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/grpc");
    expect(answer.headers["grpc-status"]).toBeUndefined();
    expect(answer.trailers["grpc-status"]).toBe("0");
  });

  it("refuses a codec it does not speak (application/grpc+json) with UNIMPLEMENTED", async () => {
    const answer = await call(Buffer.from("{}"), { "content-type": "application/grpc+json" });
    expect(answer.status).toBe("12");
  });

  it("reads a message sent in many small DATA frames", async () => {
    const framed = grpcFrame(request());
    const pieces = Array.from({ length: Math.ceil(framed.length / 7) }, (_, i) =>
      framed.subarray(i * 7, i * 7 + 7),
    );
    expect(okHeaders(checkResponse(await call(pieces)))["x-keyward-key-id"]).toBe(acme.id);
  });

  describe("grpc-encoding", () => {
    it("treats identity as no encoding", async () => {
      const res = checkResponse(await call(grpcFrame(request()), { "grpc-encoding": "identity" }));
      expect(res.status.code).toBe(0);
    });

    it.each([
      ["gzip", gzipSync],
      ["deflate", deflateSync],
    ] as const)("decompresses a message compressed with %s", async (encoding, compress) => {
      const body = grpcFrame(compress(request()), { flag: 1 });
      const res = checkResponse(await call(body, { "grpc-encoding": encoding }));
      expect(okHeaders(res)["x-keyward-key-id"]).toBe(acme.id);
    });

    it("reads an uncompressed message on a call that announces gzip", async () => {
      const res = checkResponse(await call(grpcFrame(request()), { "grpc-encoding": "gzip" }));
      expect(res.status.code).toBe(0);
    });

    it("refuses an encoding it does not read with UNIMPLEMENTED and grpc-accept-encoding", async () => {
      const answer = await call(grpcFrame(request(), { flag: 1 }), { "grpc-encoding": "br" });
      expect(answer.status).toBe("12");
      expect(String(answer.headers["grpc-accept-encoding"]).split(",")).toEqual(
        expect.arrayContaining(["identity", "gzip"]),
      );
    });

    it("answers INTERNAL for a compressed flag without an encoding, or with identity", async () => {
      const compressed = grpcFrame(gzipSync(request()), { flag: 1 });
      expect((await call(compressed)).status).toBe("13");
      expect((await call(compressed, { "grpc-encoding": "identity" })).status).toBe("13");
    });

    it("answers INTERNAL for gzip bytes that do not decompress", async () => {
      const answer = await call(grpcFrame(Buffer.from("not gzip at all"), { flag: 1 }), {
        "grpc-encoding": "gzip",
      });
      expect(answer.status).toBe("13");
    });

    it("denies a message that decompresses past the limit (a zip bomb) like any oversized Check", async () => {
      const bomb = gzipSync(Buffer.alloc(33 * MiB));
      const res = checkResponse(await call(grpcFrame(bomb, { flag: 1 }), { "grpc-encoding": "gzip" }));
      expect(deniedBody(res).error.code).toBe("unsupported_request");
    });
  });

  describe("a body that is not one well-formed message", () => {
    it.each([
      ["no message at all", () => Buffer.alloc(0)],
      ["a frame header cut short", () => Buffer.from([0, 0, 0])],
      ["a message shorter than its length", () => grpcFrame(request(), { length: request().length + 10 })],
      ["two messages on a unary call", () => Buffer.concat([grpcFrame(request()), grpcFrame(request())])],
      ["a message followed by stray bytes", () => Buffer.concat([grpcFrame(request()), Buffer.from([0])])],
      ["an unknown flag", () => grpcFrame(request(), { flag: 2 })],
    ])("answers %s with INTERNAL and a message", async (_name, body) => {
      const answer = await call(body());
      expect(answer.status).toBe("13");
      expect(answer.rawMessage).toBeTruthy();
      expect(answer.body.length).toBe(0);
    });

    it("denies a declared length past the limit as soon as it is read, without waiting for the body", async () => {
      const { stream, answer } = rawGrpcCall(
        session,
        CHECK,
        grpcFrame(Buffer.alloc(1024), { length: 64 * MiB }),
        {
          end: false,
        },
      );
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) =>
        stream.once("trailers", resolve),
      );
      expect(trailers["grpc-status"]).toBe("0");
      expect(stream.writableEnded).toBe(false);
      stream.end(Buffer.alloc(4096));
      const res = checkResponse(await answer);
      expect(deniedBody(res).error.code).toBe("unsupported_request");
    });
  });

  describe("methods and headers", () => {
    it("answers an unknown service or method with UNIMPLEMENTED", async () => {
      for (const path of ["/no.such.Service/Check", "/envoy.service.auth.v3.Authorization/Nope"]) {
        const answer = await call(grpcFrame(request()), {}, path);
        expect(answer.status).toBe("12");
        expect(answer.rawMessage).toContain(path);
      }
    });

    it("percent-encodes grpc-message: '%' and bytes outside printable ASCII", async () => {
      const answer = await call(grpcFrame(request()), {}, "/no.such.Service/100%-caf\u00e9");
      expect(answer.status).toBe("12");
      expect(answer.rawMessage).toBe("unknown method /no.such.Service/100%25-caf%C3%A9");
    });

    it("answers a gRPC call that is not a POST with UNIMPLEMENTED", async () => {
      const answer = await call(Buffer.alloc(0), { ":method": "PUT" });
      expect(answer.status).toBe("12");
    });

    it("answers a malformed grpc-timeout with INTERNAL", async () => {
      for (const timeout of ["", "1", "5x", "123456789S", "-1S"]) {
        expect((await call(grpcFrame(request()), { "grpc-timeout": timeout })).status, timeout).toBe("13");
      }
    });

    it("answers in time a Check that comes with a grpc-timeout", async () => {
      const res = checkResponse(await call(grpcFrame(request()), { "grpc-timeout": "5S" }));
      expect(res.status.code).toBe(0);
    });
  });
});
