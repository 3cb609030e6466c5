import type { ServerHttp2Stream } from "node:http2";
import * as zlib from "node:zlib";
import {
  declaredLength,
  FRAME_HEADER_BYTES,
  MessageSplitter,
  unaryMessage,
  type WireMessage,
} from "../../rpc/grpc-wire.js";

/** What a call's request turned out to be: a message's bytes (decompressed), or why there is none. */
export type ReadResult =
  | { kind: "message"; bytes: Buffer }
  | { kind: "too-large" }
  | { kind: "malformed"; reason: string };

type Inflate = (buf: Buffer, options: zlib.ZlibOptions, callback: zlib.CompressCallback) => void;

/** The message encodings accepted besides identity. */
const INFLATE = new Map<string, Inflate>([
  ["gzip", zlib.gunzip],
  ["deflate", zlib.inflate],
]);

/** Sent with UNIMPLEMENTED when a client compresses with anything else. */
export const ACCEPT_ENCODING = "identity,gzip,deflate";

/** True for a `grpc-encoding` this server reads. */
export function acceptsEncoding(encoding: string | undefined): boolean {
  return encoding === undefined || encoding === "identity" || INFLATE.has(encoding);
}

/**
 * Reads the single message of a unary call and calls `done` once. A length past `limit` is reported as soon
 * as the message's header arrives, and nothing more is buffered: the rest of the body is read and dropped.
 */
export function readUnary(
  stream: ServerHttp2Stream,
  encoding: string | undefined,
  limit: number,
  done: (result: ReadResult) => void,
): void {
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let over = false;
  stream.on("data", (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (first === undefined) first = chunk;
    else {
      more ??= [first];
      more.push(chunk);
    }
    if (declaredLength(first) > limit || size > limit + FRAME_HEADER_BYTES) {
      over = true;
      first = more = undefined;
      done({ kind: "too-large" });
    }
  });
  stream.on("end", () => {
    if (over) return;
    const body = unaryMessage(more ? Buffer.concat(more, size) : (first ?? Buffer.alloc(0)), limit);
    if (body.kind === "message") decompress(body.message, encoding, limit, done);
    else done(body);
  });
}

/**
 * Reads every message of a streaming call in order, each decompressed. `onEnd` runs when the client half-closes
 * between messages; `onError` when the stream is broken (a message cut short, too large, undecompressable).
 */
export function readStream(
  stream: ServerHttp2Stream,
  encoding: string | undefined,
  limit: number,
  handlers: { onMessage(bytes: Buffer): void; onEnd(): void; onError(result: ReadResult): void },
): void {
  const splitter = new MessageSplitter(limit);
  let chain = Promise.resolve(true);
  const next = (step: () => Promise<boolean>) => {
    chain = chain.then((ok) => (ok ? step() : false));
  };
  stream.on("data", (chunk: Buffer) => {
    const messages = splitter.push(chunk);
    if (!Array.isArray(messages)) {
      next(async () => {
        handlers.onError(messages);
        return false;
      });
      stream.removeAllListeners("data");
      stream.resume();
      return;
    }
    for (const message of messages) {
      next(
        () =>
          new Promise<boolean>((resolve) =>
            decompress(message, encoding, limit, (r) => {
              if (r.kind === "message") handlers.onMessage(r.bytes);
              else handlers.onError(r);
              resolve(r.kind === "message");
            }),
          ),
      );
    }
  });
  stream.on("end", () =>
    next(async () => {
      if (splitter.clean) handlers.onEnd();
      else handlers.onError({ kind: "malformed", reason: "request message cut short" });
      return true;
    }),
  );
}

function decompress(
  message: WireMessage,
  encoding: string | undefined,
  limit: number,
  done: (result: ReadResult) => void,
): void {
  if (!message.compressed) {
    done({ kind: "message", bytes: message.bytes });
    return;
  }
  const inflate = encoding === undefined ? undefined : INFLATE.get(encoding);
  if (!inflate) {
    done({ kind: "malformed", reason: "compressed message without a grpc-encoding" });
    return;
  }
  inflate(message.bytes, { maxOutputLength: limit }, (err, out) => {
    if (!err) done({ kind: "message", bytes: out });
    else if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") done({ kind: "too-large" });
    else done({ kind: "malformed", reason: `message does not decompress as ${encoding}` });
  });
}
