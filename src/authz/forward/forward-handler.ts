import type * as http from "node:http";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { Cidr } from "../../keys/cidr.js";
import type { Logger } from "../../logger.js";
import type { Metrics } from "../../metrics.js";
import type { Authorizer, Render } from "../authorizer.js";
import { type ForwardAnswer, forwardAnswer, NOT_FOUND, unavailableAnswer } from "./forward-answer.js";
import {
  FORWARD_ENDPOINT,
  type ForwardEndpoint,
  type ForwardReadOptions,
  type ForwardRequest,
  forwardFacts,
  NGINX_ENDPOINT,
} from "./forward-request.js";
import { RouteQueryMemo } from "./route-query.js";

/** What forward auth depends on. */
export interface ForwardAuthDeps {
  authorizer: Authorizer;
  companyHeader: string;
  trustedProxies: readonly Cidr[];
  logger: Logger;
  metrics: Metrics;
}

/** A request body past this is not worth reading: the connection is closed after the answer. */
const MAX_DRAINED_BODY = 64 * 1024;

/** Sends one answer on whichever HTTP version asked. */
type Send = (answer: ForwardAnswer) => void;

/**
 * HTTP forward auth on the authz port (HTTP/1.1 and h2c): `/authz/forward` and `/authz/nginx`, any method,
 * through the same pipeline as Check. Unknown paths are 404; a fault is 503, never a verdict.
 */
export class ForwardAuth {
  private readonly options: ForwardReadOptions;
  /** Each endpoint by its path, with its renderer made once. */
  private readonly endpoints: Map<string, { endpoint: ForwardEndpoint; render: Render<ForwardAnswer> }>;

  constructor(private readonly deps: ForwardAuthDeps) {
    this.options = {
      companyHeader: deps.companyHeader,
      trustedProxies: deps.trustedProxies,
      routes: new RouteQueryMemo(),
    };
    this.endpoints = new Map(
      [FORWARD_ENDPOINT, NGINX_ENDPOINT].map((endpoint) => [
        endpoint.path,
        { endpoint, render: (verdict) => forwardAnswer(endpoint, verdict) },
      ]),
    );
  }

  /** The HTTP/1.1 request listener. */
  readonly http1: http.RequestListener = (req, res) => {
    const close = hasLargeBody(req.headers);
    const send: Send = (answer) => {
      if (res.headersSent || res.destroyed) return;
      if (close) answer.headers.connection = "close";
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    };
    // The body is never read; Node discards what arrives so the connection can carry the next request.
    req.resume();
    this.serve(req.url ?? "/", req.method ?? "GET", req.rawHeaders, req.socket.remoteAddress, send);
  };

  /** The h2c stream handler for requests that are not gRPC. */
  readonly http2 = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders?: string[]): void => {
    const send: Send = (answer) => {
      if (stream.destroyed || stream.closed || stream.headersSent) return;
      stream.respond({ ":status": answer.status, ...answer.headers });
      stream.end(answer.body);
    };
    stream.resume();
    const raw = rawHeaders ?? [];
    const peer = stream.session?.socket?.remoteAddress;
    this.serve(headers[":path"] ?? "/", headers[":method"] ?? "GET", raw, peer, send);
  };

  private serve(target: string, method: string, raw: string[], peer: string | undefined, send: Send): void {
    const started = performance.now();
    const q = target.indexOf("?");
    const path = q < 0 ? target : target.slice(0, q);
    const served = this.endpoints.get(path);
    if (!served) {
      send({ ...NOT_FOUND, headers: { ...NOT_FOUND.headers } });
      return;
    }
    const { endpoint, render } = served;
    const request: ForwardRequest = {
      method,
      query: q < 0 ? "" : target.slice(q + 1),
      rawHeaders: raw,
      peer,
    };
    const fail = (err: unknown) => {
      this.deps.metrics.checkErrors.inc({ protocol: "http" });
      this.deps.logger.error({ err }, "forward auth failed");
      send(unavailableAnswer());
    };
    try {
      const facts = forwardFacts(endpoint, request, this.options);
      const answer = this.deps.authorizer.authorize(facts, "http", render, started);
      if (answer instanceof Promise) answer.then(send, fail);
      else send(answer);
    } catch (err) {
      fail(err);
    }
  }
}

/** Whether the request announces a body too large (or of unknown length) to drain for keep-alive. */
function hasLargeBody(headers: http.IncomingHttpHeaders): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = Number(headers["content-length"] ?? 0);
  return !(length <= MAX_DRAINED_BODY);
}
