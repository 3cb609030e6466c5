import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyClient, outcomeCode } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Both listeners bound their connections: one that never speaks is closed, one that stops talking is closed,
 * and no more than KEYWARD_MAX_CONNECTIONS are held at once. The admin listener tells HTTP/1.1 from h2c only
 * on enough bytes.
 */

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    env: { KEYWARD_FIRST_BYTES_TIMEOUT: "1s", KEYWARD_IDLE_TIMEOUT: "2s", KEYWARD_MAX_CONNECTIONS: "4" },
  });
});
afterAll(async () => {
  await t.close();
});

/** A raw TCP connection to `port` on 127.0.0.1, with a promise that settles when the server closes it. */
async function connect(
  port: number,
): Promise<{ socket: net.Socket; closed: Promise<void>; isClosed: () => boolean }> {
  const socket = net.connect(port, "127.0.0.1");
  let done = false;
  const closed = new Promise<void>((resolve) => {
    socket.on("close", () => {
      done = true;
      resolve();
    });
  });
  socket.on("error", () => {});
  socket.on("data", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, closed, isClosed: () => done };
}

const ports = () => ({ admin: t.app.admin.port, authz: t.app.authz.port });

describe.each(["admin", "authz"] as const)("the %s listener", (listener) => {
  it("closes a connection that sends nothing", async () => {
    const c = await connect(ports()[listener]);
    await c.closed;
    expect(c.isClosed()).toBe(true);
  });

  it("caps concurrent connections: one past the cap is closed while the others stay open", async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => connect(ports()[listener])));
    // They speak (the HTTP/2 preface, which both listeners take), so the first-bytes deadline spares them.
    for (const c of open) c.socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const extra = await connect(ports()[listener]);
    await extra.closed;
    expect(open.map((c) => c.isClosed())).toEqual([false, false, false, false]);
    for (const c of open) c.socket.destroy();
    await Promise.all(open.map((c) => c.closed));
  });
});

describe("the admin listener", () => {
  it("closes an HTTP/1.1 connection that stops halfway through its headers", async () => {
    const c = await connect(ports().admin);
    c.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await c.closed;
    expect(c.isClosed()).toBe(true);
  });

  it("routes a request whose first segment is a lone 'P' to HTTP/1.1", async () => {
    const c = await connect(ports().admin);
    let reply = "";
    c.socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("latin1");
    });
    c.socket.write("P");
    await new Promise((resolve) => setTimeout(resolve, 100));
    c.socket.end(
      "OST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    await c.closed;
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("still serves ordinary requests", async () => {
    const res = await fetch(`${t.adminUrl}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe("the authz listener", () => {
  it("still answers Checks over a kept-alive connection", async () => {
    const envoy = new EnvoyClient(t.authzAddress);
    try {
      expect(outcomeCode(await envoy.check({}))).toBe("missing_key");
      expect(outcomeCode(await envoy.check({}))).toBe("missing_key");
    } finally {
      envoy.close();
    }
  });
});
