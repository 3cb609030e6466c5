import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateKeyRequestSchema } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { useAdminApp } from "../helpers/harness.js";
import { connectH2c, grpcFrame, rawGrpcCall } from "../helpers/raw-grpc.js";

const h = useAdminApp();
const CREATE_KEY = "/keyward.admin.v1.KeyAdminService/CreateKey";
let session: ReturnType<typeof connectH2c>;
beforeAll(() => {
  session = connectH2c(new URL(h.t.adminUrl).host);
});
afterAll(() => session.close());

const whole = Buffer.from(
  toBinary(
    CreateKeyRequestSchema,
    create(CreateKeyRequestSchema, { companyId: "acme", name: "never-made", scopes: ["a:read"] }),
  ),
);

/** Bodies protobuf cannot decode, each a different way of being broken. */
const BROKEN: [string, Buffer][] = [
  ["cut short inside a string", whole.subarray(0, whole.length - 3)],
  ["cut short inside a tag", Buffer.from([0x8a])],
  ["a length past the end", Buffer.from([0x0a, 0x7f, 0x61])],
  ["an invalid wire type", Buffer.from([0x0f, 0x00])],
];

async function keyNames(): Promise<string[]> {
  const { keys } = await h.platform().listKeys({ companyId: "acme" });
  return keys.map((k) => k.name);
}

describe("an undecodable binary request body on the admin API", () => {
  it.each(BROKEN)(
    "over Connect application/proto (%s): 400 invalid_argument with a plain message",
    async (_, body) => {
      const res = await fetch(`${h.t.adminUrl}${CREATE_KEY}`, {
        method: "POST",
        headers: { "content-type": "application/proto", authorization: `Bearer ${h.platformSecret}` },
        body: new Uint8Array(body),
      });
      expect(res.status).toBe(400);
      const error = (await res.json()) as { code: string; message: string };
      expect(error.code).toBe("invalid_argument");
      expect(error.message).toBe("the request message cannot be decoded");
    },
  );

  it.each(BROKEN)("over gRPC on h2c (%s): INVALID_ARGUMENT", async (_, body) => {
    const { answer } = rawGrpcCall(session, CREATE_KEY, grpcFrame(body), {
      headers: { authorization: `Bearer ${h.platformSecret}` },
    });
    const got = await answer;
    expect(got.status).toBe("3");
    expect(decodeURIComponent(got.rawMessage ?? "")).toBe("the request message cannot be decoded");
  });

  it("over gRPC with a gzip-compressed message: INVALID_ARGUMENT", async () => {
    const broken = gzipSync(whole.subarray(0, whole.length - 3));
    const { answer } = rawGrpcCall(session, CREATE_KEY, grpcFrame(broken, { flag: 1 }), {
      headers: { authorization: `Bearer ${h.platformSecret}`, "grpc-encoding": "gzip" },
    });
    expect((await answer).status).toBe("3");
  });

  it.each(BROKEN)("over gRPC-Web on HTTP/1.1 (%s): grpc-status 3", async (_, body) => {
    const res = await fetch(`${h.t.adminUrl}${CREATE_KEY}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", authorization: `Bearer ${h.platformSecret}` },
      body: new Uint8Array(grpcFrame(body)),
    });
    expect(res.status).toBe(200);
    // A trailers-only answer carries the status in the headers; otherwise it is in the body's trailer frame.
    const trailer = Buffer.from(await res.arrayBuffer()).toString("latin1");
    const status = res.headers.get("grpc-status") ?? /grpc-status: ?(\d+)/.exec(trailer)?.[1];
    const message = res.headers.get("grpc-message") ?? /grpc-message: ?([^\r]*)/.exec(trailer)?.[1];
    expect(status).toBe("3");
    expect(decodeURIComponent(message ?? "")).toBe("the request message cannot be decoded");
  });

  it("creates nothing, and the same message whole still works on every protocol", async () => {
    expect(await keyNames()).not.toContain("never-made");
    const { answer } = rawGrpcCall(session, CREATE_KEY, grpcFrame(whole), {
      headers: { authorization: `Bearer ${h.platformSecret}` },
    });
    expect((await answer).status).toBe("0");
    const res = await fetch(`${h.t.adminUrl}${CREATE_KEY}`, {
      method: "POST",
      headers: { "content-type": "application/proto", authorization: `Bearer ${h.platformSecret}` },
      body: new Uint8Array(whole),
    });
    expect(res.status).toBe(200);
    expect((await keyNames()).filter((name) => name === "never-made")).toHaveLength(2);
  });
});
