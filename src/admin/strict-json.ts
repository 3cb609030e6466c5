import type { JsonValue } from "@bufbuild/protobuf";
import { ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  createAsyncIterable,
  readAllBytes,
  type UniversalHandler,
  type UniversalServerRequest,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { invalidArgument } from "./errors.js";
import { jsonFieldViolations } from "./json-fields.js";
import { isByteStream, protocolErrorResponse } from "./protocol-error.js";

/** Connect's unary JSON content type (curl and scripts); the binary and enveloped forms have no field names. */
const UNARY_JSON = /^application\/json(;|$)/i;

/**
 * Makes the router's handlers refuse Connect JSON requests that name fields the message does not have, or
 * write a duration as anything but seconds, with INVALID_ARGUMENT naming every such field. Decoding alone
 * would either drop unknown names silently or stop at the first one with a terse message.
 */
export function rejectUnknownJsonFields(router: ConnectRouter, readMaxBytes: number): void {
  router.handlers.forEach((handler, i) => {
    router.handlers[i] = strictJson(handler, readMaxBytes);
  });
}

function strictJson(handler: UniversalHandler, readMaxBytes: number): UniversalHandler {
  const checked = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const body = req.body;
    if (
      req.method !== "POST" ||
      !UNARY_JSON.test(req.header.get("content-type") ?? "") ||
      req.header.get("content-encoding") ||
      !isByteStream(body)
    ) {
      return handler(req);
    }
    let bytes: Uint8Array;
    let json: JsonValue;
    try {
      bytes = await readAllBytes(body, readMaxBytes, req.header.get("content-length"));
    } catch (err) {
      return protocolErrorResponse("application/json", ConnectError.from(err));
    }
    try {
      json = JSON.parse(new TextDecoder().decode(bytes)) as JsonValue;
    } catch {
      // Not JSON at all: Connect's own decoder says so in its usual words.
      return handler({ ...req, body: createAsyncIterable([bytes]) });
    }
    const violations = jsonFieldViolations(handler.method.input, json);
    if (violations.length > 0) return protocolErrorResponse("application/json", invalidArgument(violations));
    return handler({ ...req, body: createAsyncIterable([bytes]) });
  };
  return Object.assign(checked, handler);
}
