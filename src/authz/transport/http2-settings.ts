import type { ServerOptions } from "node:http2";

/**
 * The authz listener's HTTP/2 settings, chosen for one or a few long-lived connections from Envoy carrying
 * many small concurrent Checks (about 1 KiB each way), on loopback or a pod network.
 */
export const AUTHZ_HTTP2_SETTINGS: ServerOptions = {
  settings: {
    // Envoy opens another connection when a peer's limit is reached, so a cap costs nothing in throughput
    // and bounds the streams (and buffered requests) one connection can hold. grpc-js and Node default to
    // unlimited.
    maxConcurrentStreams: 1024,
    // A whole Check, even one carrying a large set of headers, fits in one stream window: no stream waits for
    // a WINDOW_UPDATE round trip. The connection window is raised to match on each session (see
    // CONNECTION_WINDOW_BYTES).
    initialWindowSize: 1024 * 1024,
    // Room for Envoy's gRPC request headers and, on forward-auth streams, a browser's cookies; the same as
    // Node's default, stated so it is a decision, not an accident.
    maxHeaderListSize: 64 * 1024,
    enablePush: false,
  },
  // Header pairs per request; Envoy's gRPC calls carry about ten, forward-auth requests rarely fifty.
  maxHeaderListPairs: 256,
  // nghttp2's bookkeeping (header tables, queued frames) per connection, in MiB; past it new streams are
  // refused with ENHANCE_YOUR_CALM rather than the process growing without bound.
  maxSessionMemory: 32,
};

/** The connection-level receive window: 16 streams' worth, so concurrency is not throttled by flow control. */
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

/** An idle connection is pinged this often; a peer that does not answer within the timeout is dropped. */
export const KEEPALIVE = { idleMs: 60_000, timeoutMs: 20_000 };
