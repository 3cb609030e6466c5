import { afterEach, describe, expect, it } from "vitest";
import { type DualListener, listenDual, peerAddress } from "../../src/admin/dual-listener.js";
import { H2cForward } from "../helpers/forward-client.js";

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
    const client = new H2cForward(`127.0.0.1:${listener.port}`);
    try {
      expect((await client.request("/")).body).toBe("HTTP/2.0 from 127.0.0.1");
    } finally {
      client.close();
    }
  });

  it("closes an h2c connection that has been idle, and keeps one that stays busy past the same time", async () => {
    listener = await listenDual({ host: "127.0.0.1", port: 0 }, echoPeer, LIMITS);
    const idle = new H2cForward(`127.0.0.1:${listener.port}`);
    const busy = new H2cForward(`127.0.0.1:${listener.port}`);
    let busyClosed = false;
    busy.session.on("close", () => {
      busyClosed = true;
    });
    const idleClosed = new Promise<void>((resolve) => idle.session.on("close", () => resolve()));
    try {
      await idle.request("/");
      for (let elapsed = 0; elapsed < IDLE_MS * 3; elapsed += IDLE_MS / 4) {
        expect((await busy.request("/")).body).toBe("HTTP/2.0 from 127.0.0.1");
        await sleep(IDLE_MS / 4);
      }
      await idleClosed;
      expect(idle.session.closed).toBe(true);
      expect(busyClosed).toBe(false);
    } finally {
      idle.session.destroy();
      busy.session.destroy();
    }
  });
});
