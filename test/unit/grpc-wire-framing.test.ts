import { describe, expect, it } from "vitest";
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  frameMessage,
  grpcContentSubtype,
  MessageSplitter,
  parseGrpcTimeout,
  unaryMessage,
} from "../../src/rpc/grpc-wire.js";

const framed = (bytes: number[], flag = 0) => {
  const out = Buffer.alloc(5 + bytes.length);
  out[0] = flag;
  out.writeUInt32BE(bytes.length, 1);
  Buffer.from(bytes).copy(out, 5);
  return out;
};

describe("gRPC message framing", () => {
  it("frames a message with a zero flag and a big-endian length", () => {
    expect(frameMessage(Buffer.from([7, 8, 9])).toString("hex")).toBe("0000000003070809");
    expect(frameMessage(new Uint8Array()).toString("hex")).toBe("0000000000");
  });

  it("reads the one message of a unary body, compressed or not", () => {
    expect(unaryMessage(framed([1, 2]), 10)).toEqual({
      kind: "message",
      message: { compressed: false, bytes: Buffer.from([1, 2]) },
    });
    expect(unaryMessage(framed([1], 1), 10)).toMatchObject({
      kind: "message",
      message: { compressed: true },
    });
    expect(unaryMessage(framed([]), 10)).toMatchObject({
      kind: "message",
      message: { bytes: Buffer.alloc(0) },
    });
  });

  it.each([
    ["an empty body", Buffer.alloc(0)],
    ["a header cut short", Buffer.from([0, 0, 0, 0])],
    ["a message cut short", framed([1, 2, 3]).subarray(0, 7)],
    ["two messages", Buffer.concat([framed([1]), framed([2])])],
    ["a trailing byte", Buffer.concat([framed([1]), Buffer.from([0])])],
    ["flag 2", framed([1], 2)],
    ["flag 0x80", framed([1], 0x80)],
  ])("calls %s malformed", (_name, body) => {
    expect(unaryMessage(body, 100).kind).toBe("malformed");
  });

  it("reports a declared length past the limit as too large, before the bytes arrive", () => {
    const head = Buffer.from([0, 0, 0, 0, 11]);
    expect(unaryMessage(head, 10)).toEqual({ kind: "too-large" });
    expect(unaryMessage(framed(Array(10).fill(1)), 10).kind).toBe("message");
  });

  it("splits a stream into messages across arbitrary chunk boundaries", () => {
    const stream = Buffer.concat([framed([1, 2, 3]), framed([]), framed([4], 1)]);
    for (let size = 1; size <= stream.length; size++) {
      const splitter = new MessageSplitter(100);
      const got: number[][] = [];
      for (let at = 0; at < stream.length; at += size) {
        const out = splitter.push(stream.subarray(at, at + size));
        if (!Array.isArray(out)) throw new Error(`chunk size ${size}: ${out.kind}`);
        got.push(...out.map((m) => [...m.bytes, m.compressed ? -1 : 0]));
      }
      expect(got, `chunk size ${size}`).toEqual([[1, 2, 3, 0], [0], [4, -1]]);
      expect(splitter.clean).toBe(true);
    }
  });

  it("tells a stream that ends inside a message, and refuses oversized or flagged-wrong ones", () => {
    const splitter = new MessageSplitter(100);
    splitter.push(framed([1, 2, 3]).subarray(0, 6));
    expect(splitter.clean).toBe(false);
    expect(new MessageSplitter(2).push(framed([1, 2, 3]))).toEqual({ kind: "too-large" });
    expect(new MessageSplitter(10).push(framed([1], 3))).toMatchObject({ kind: "malformed" });
  });
});

describe("grpc-timeout", () => {
  it.each([
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3000],
    ["200m", 200],
    ["1500u", 1.5],
    ["2000000n", 2],
    ["99999999S", 99_999_999_000],
  ])("reads %s as %d ms", (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms);
  });

  it("is undefined when absent and NaN when malformed", () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    for (const bad of ["", "S", "1", "1s", "1.5S", "-1S", "123456789S", " 1S", "1S "]) {
      expect(parseGrpcTimeout(bad), bad).toBeNaN();
    }
  });
});

describe("grpc-message", () => {
  it("leaves printable ASCII alone and percent-encodes '%' and every other byte as UTF-8", () => {
    expect(encodeGrpcMessage("unknown service")).toBe("unknown service");
    expect(encodeGrpcMessage("100% café\n")).toBe("100%25 caf%C3%A9%0A");
    expect(encodeGrpcMessage("日")).toBe("%E6%97%A5");
  });

  it("decodes what it encodes, and keeps a bad escape as it is", () => {
    for (const text of ["plain", "100% café\n", "日本\u0000", "%", "%%41"]) {
      expect(decodeGrpcMessage(encodeGrpcMessage(text))).toBe(text);
    }
    expect(decodeGrpcMessage("50%zz")).toBe("50%zz");
  });
});

describe("content types", () => {
  it.each([
    ["application/grpc", ""],
    ["application/grpc+proto", "proto"],
    ["application/grpc+JSON", "json"],
    ["application/grpc;charset=utf-8", ""],
    ["application/grpc+proto; x=y", "proto"],
  ])("%s is gRPC with subtype %j", (type, subtype) => {
    expect(grpcContentSubtype(type)).toBe(subtype);
  });

  it.each([undefined, "application/json", "application/grpcx", "application/grpc-web", "text/plain"])(
    "%s is not gRPC",
    (type) => {
      expect(grpcContentSubtype(type)).toBeUndefined();
    },
  );
});
