import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request a receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.timeOrigin + now() when it arrived, in ms. */
  at: number;
}

/** How the receiver answers one request: a status with headers, or no answer at all. */
export type Answer = { status: number; headers?: Record<string, string> } | "hang";

/**
 * A real HTTP server on 127.0.0.1 standing in for customers' endpoints (one per path). It records every
 * request and answers from the path's script (first in, first out), then with `fallback`.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  fallback: Answer = { status: 204 };
  private server!: Server;
  private readonly hanging = new Set<() => void>();

  /** Starts listening on a free loopback port. */
  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    r.server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => {
        r.received.push({
          path: req.url ?? "",
          headers: req.headers,
          body,
          at: performance.timeOrigin + performance.now(),
        });
        const answer = r.scripts.get(req.url ?? "")?.shift() ?? r.fallback;
        if (answer === "hang") {
          r.hanging.add(() => res.destroy());
          return;
        }
        res.writeHead(answer.status, answer.headers ?? {});
        res.end();
      });
    });
    await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
    return r;
  }

  /** The next requests to `path` get `answers`, in order. */
  script(path: string, ...answers: Answer[]): void {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...answers]);
  }

  /** `http://127.0.0.1:<port><path>`. */
  url(path = "/hook"): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The parsed bodies of what arrived at `path` (every path when omitted). */
  events(path?: string): { type: string; timestamp: string; data: Record<string, unknown> }[] {
    return this.received.filter((r) => path === undefined || r.path === path).map((r) => JSON.parse(r.body));
  }

  /** Resolves once `predicate` holds for what arrived; rejects after `timeoutMs`. */
  async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline)
        throw new Error(`receiver waited ${timeoutMs} ms; got ${this.received.length} requests`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    for (const end of this.hanging) end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Verifies a received request with the `standardwebhooks` library; returns the payload, or throws. */
export function verifyDelivery(secret: string, r: Received): unknown {
  const headers: Record<string, string> = {};
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    headers[name] = String(r.headers[name] ?? "");
  }
  return new Webhook(secret).verify(r.body, headers);
}

/** Polls `check` until it returns something other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
