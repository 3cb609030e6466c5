/**
 * Child entry: floods a Check listener with random keys, every request a different one, all from one source
 * address: half with a broken checksum (refused offline), half well formed but unknown (each costs Keyward
 * one database query until the source has spent its budget of unknown keys, and no negative-cache entry can
 * help because no key repeats). Bounded by time; loopback only.
 */
import { connect } from "node:http2";
import { toBinary } from "@bufbuild/protobuf";
import { CheckRequestSchema } from "../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { generateKey } from "../src/keys/format.js";
import { benchCheckRequest, grpcFrame } from "./check-request.js";
import { serveParent } from "./child-protocol.js";

/** The flood's source address: not the valid traffic's, as an attacker's would not be. */
const FLOOD_SOURCE = "198.51.100.66";

/** What one flood sent. */
export interface FloodResult {
  sent: number;
  answered: number;
  badChecksum: number;
  unknownWellFormed: number;
  seconds: number;
}

const CHECK_PATH = "/envoy.service.auth.v3.Authorization/Check";

/** A key whose checksum cannot match: the last character moved one step along the alphabet. */
function brokenKey(): string {
  const key = generateKey("sk", "live");
  const last = key.charCodeAt(key.length - 1);
  return (
    key.slice(0, -1) +
    String.fromCharCode(last === 0x7a ? 0x30 : last === 0x39 ? 0x41 : last === 0x5a ? 0x61 : last + 1)
  );
}

async function flood(args: { port: number; seconds: number; concurrency: number }): Promise<FloodResult> {
  const session = connect(`http://127.0.0.1:${args.port}`);
  session.on("error", () => {});
  const deadline = performance.now() + args.seconds * 1000;
  const started = performance.now();
  const result: FloodResult = { sent: 0, answered: 0, badChecksum: 0, unknownWellFormed: 0, seconds: 0 };
  const worker = async () => {
    while (performance.now() < deadline && !session.destroyed) {
      const broken = result.sent % 2 === 0;
      const key = broken ? brokenKey() : generateKey("sk", "live");
      if (broken) result.badChecksum++;
      else result.unknownWellFormed++;
      result.sent++;
      const body = grpcFrame(toBinary(CheckRequestSchema, benchCheckRequest(key, FLOOD_SOURCE)));
      await new Promise<void>((resolve) => {
        const stream = session.request({
          ":method": "POST",
          ":path": CHECK_PATH,
          "content-type": "application/grpc",
          te: "trailers",
        });
        stream.on("trailers", (trailers) => {
          if (trailers["grpc-status"] === "0") result.answered++;
        });
        stream.on("data", () => {});
        stream.on("close", () => resolve());
        stream.on("error", () => resolve());
        stream.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  result.seconds = (performance.now() - started) / 1000;
  session.close();
  return result;
}

await serveParent<{ ready: true }>(async () => ({
  info: { ready: true },
  handlers: { flood: (a: never) => flood(a) },
  async shutdown() {},
}));
