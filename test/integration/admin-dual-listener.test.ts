import * as http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { type DualListener, listenDual, peerAddress } from "../../src/admin/dual-listener.js";

// The admin port on its own: HTTP/1.1 and h2c on one port, each request told its peer, idle h2c closed.

const IDLE_MS = 600;
const LIMITS = { maxConnections: 100, firstBytesMs: 10_000, idleMs: IDLE_MS };

const echoPeer = (
  req: { httpVersion: string; socket?: { remoteAddress?: string } | null; stream?: unknown },
  res: { writeHead(status: number, headers: Record<string, string>): unknown; end(body: string): unknown },
) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`HTTP/${req.httpVersion} from ${peerAddress(req)}`);
};

/** GETs `path` on an open h2c session and returns the body. */
function get(session: http2.ClientHttp2Session, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":path": path });
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the admin listener", () => {
  let listener: DualListener | undefined;
  afterEach(async () => {
    await listener?.close(1000);
    listener = undefined;
  });

  it("tells each request its peer's address, over HTTP/1.1 and h2c alike", async () => {
    listener = await listenDual({ host: "127.0.0.1", port: 0 }, echoPeer, LIMITS);
    const res = await fetch(`http://127.0.0.1:${listener.port}/`);
    expect(await res.text()).toBe("HTTP/1.1 from 127.0.0.1");
    const session = http2.connect(`http://127.0.0.1:${listener.port}`);
    try {
      expect(await get(session, "/")).toBe("HTTP/2.0 from 127.0.0.1");
    } finally {
      session.close();
    }
  });

  it("closes an h2c connection that has been idle, and keeps one that stays busy past the same time", async () => {
    listener = await listenDual({ host: "127.0.0.1", port: 0 }, echoPeer, LIMITS);
    const idle = http2.connect(`http://127.0.0.1:${listener.port}`);
    const busy = http2.connect(`http://127.0.0.1:${listener.port}`);
    let busyClosed = false;
    busy.on("close", () => {
      busyClosed = true;
    });
    const idleClosed = new Promise<void>((resolve) => idle.on("close", () => resolve()));
    try {
      await get(idle, "/");
      for (let elapsed = 0; elapsed < IDLE_MS * 3; elapsed += IDLE_MS / 4) {
        expect(await get(busy, "/")).toBe("HTTP/2.0 from 127.0.0.1");
        await sleep(IDLE_MS / 4);
      }
      await idleClosed;
      expect(idle.closed).toBe(true);
      expect(busyClosed).toBe(false);
    } finally {
      idle.destroy();
      busy.destroy();
    }
  });
});
