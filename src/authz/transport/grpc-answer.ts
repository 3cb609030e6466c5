import type { OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { encodeGrpcMessage, frameMessage, GrpcStatus } from "../../rpc/grpc-wire.js";
import type { ReadResult } from "./grpc-request.js";

// Shared, never mutated: Node copies headers and options on every respond().
const RESPONSE_HEADERS = { ":status": 200, "content-type": "application/grpc" } as const;
// respond() copies its options and then sets `endStream` on the copy. When the options lack it, V8 gives
// every such copy a map of its own: three property loads a call missed their inline caches and went to the
// runtime. With `endStream` already there, the copy keeps one shape from call to call.
// (test/integration/respond-options-shape.test.ts holds it to that.)
export const WITH_TRAILERS = { endStream: false, waitForTrailers: true, sendDate: false } as const;
const TRAILERS_ONLY = { endStream: true, sendDate: false } as const;
const OK_TRAILERS = { "grpc-status": "0" } as const;

function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/** False once the client has reset the stream or it is otherwise gone: nothing can be sent on it any more. */
export function isOpen(stream: ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed;
}

/** Answers a unary call: headers, its one message, status OK in the trailers. */
export function answerMessage(stream: ServerHttp2Stream, message: Uint8Array): void {
  answerFramed(stream, frameMessage(message));
}

/** `answerMessage` for a message already framed (see frameMessage), which may be shared between calls. */
export function answerFramed(stream: ServerHttp2Stream, framed: Uint8Array): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
  stream.once("wantTrailers", sendOkTrailers);
  stream.end(framed);
}

/**
 * Ends a call that has sent nothing yet with a status, in one HEADERS frame ("trailers-only"). Whatever the
 * client still sends is read and dropped, so its stream ends normally instead of stalling on flow control.
 */
export function answerStatus(
  stream: ServerHttp2Stream,
  code: number,
  message: string,
  extra?: OutgoingHttpHeaders,
): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond(
    {
      ...RESPONSE_HEADERS,
      "grpc-status": String(code),
      "grpc-message": encodeGrpcMessage(message),
      ...extra,
    },
    TRAILERS_ONLY,
  );
  stream.resume();
}

/** A call that answers with any number of messages (server streaming or bidirectional), then a status. */
export class StreamingAnswer {
  private ended = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(private readonly stream: ServerHttp2Stream) {}

  /** Sends one message, with the response headers before the first. */
  send(message: Uint8Array): void {
    if (this.ended || !isOpen(this.stream)) return;
    if (!this.stream.headersSent) this.stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
    this.stream.write(frameMessage(message));
  }

  /** Ends the call with DEADLINE_EXCEEDED if it is still going after `timeoutMs` (the client's `grpc-timeout`). */
  expireAfter(timeoutMs: number | undefined): void {
    if (timeoutMs === undefined) return;
    this.deadline = setTimeout(() => this.end(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded"), timeoutMs);
  }

  /** Ends the call with `code`; later sends are ignored. */
  end(code: number, message = ""): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.deadline);
    if (!isOpen(this.stream)) return;
    if (!this.stream.headersSent) {
      answerStatus(this.stream, code, message);
      return;
    }
    const trailers: OutgoingHttpHeaders = { "grpc-status": String(code) };
    if (message) trailers["grpc-message"] = encodeGrpcMessage(message);
    this.stream.once("wantTrailers", () => this.stream.sendTrailers(trailers));
    this.stream.end();
  }
}

function expire(stream: ServerHttp2Stream): void {
  answerStatus(stream, GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded");
}

/**
 * Answers DEADLINE_EXCEEDED when the call is still unanswered after `timeoutMs` (the client's
 * `grpc-timeout`), instead of answering late; clear the returned timer once the call is answered.
 */
export function armDeadline(
  stream: ServerHttp2Stream,
  timeoutMs: number | undefined,
): NodeJS.Timeout | undefined {
  return timeoutMs === undefined ? undefined : setTimeout(expire, timeoutMs, stream);
}

/** Ends a call whose request could not be read: too large (RESOURCE_EXHAUSTED) or malformed (INTERNAL). */
export function answerUnreadable(
  stream: ServerHttp2Stream,
  result: Exclude<ReadResult, { kind: "message" }>,
): void {
  if (result.kind === "too-large")
    answerStatus(stream, GrpcStatus.RESOURCE_EXHAUSTED, "request message too large");
  else answerStatus(stream, GrpcStatus.INTERNAL, result.reason);
}
