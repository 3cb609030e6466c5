import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { holdsListener } from "../helpers/listening-sockets.js";
import { onFreePort, type ProxyProcess, proxyDir, spawnProxy } from "../helpers/proxies.js";

/** A child process that listens on `port` the way a proxy would, and says so if it cannot. */
function listenerChild(port: number): Promise<ProxyProcess> {
  const script = `require("node:net").createServer().listen(${port}, "127.0.0.1")`;
  return spawnProxy(process.execPath, ["-e", script], { dir: proxyDir("listener"), port });
}

function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : 0 });
    }),
  );
}

describe("a proxy started for a test is the one listening on its port", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("tells a process's own listening socket from another's on the same machine", async () => {
    const { server, port } = await listen();
    expect(holdsListener(process.pid, port)).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(holdsListener(process.pid, port)).toBe(false);

    const child = await onFreePort(listenerChild);
    cleanups.push(() => child.close());
    const childPort = Number(new URL(child.url).port);
    // The child listens there, so a connection would succeed; it is still not this process's socket.
    expect(holdsListener(process.pid, childPort)).toBe(false);
  });

  it("refuses a port another process took before the proxy bound it, instead of talking to that process", async () => {
    const { server, port } = await listen();
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await expect(listenerChild(port)).rejects.toThrow(/address already in use/i);
  });

  it("starts the proxy again on another free port when its port was taken", async () => {
    const { server, port: taken } = await listen();
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const ports: number[] = [];
    const proxy = await onFreePort((port) => {
      ports.push(port);
      return listenerChild(ports.length === 1 ? taken : port);
    });
    cleanups.push(() => proxy.close());
    expect(ports).toHaveLength(2);
    expect(proxy.url).toBe(`http://127.0.0.1:${ports[1]}`);
  });
});
