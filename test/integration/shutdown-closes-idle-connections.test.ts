import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * A stop closes idle HTTP/1.1 keep-alive connections at once, on both listeners: proxies and admin tools hold
 * such connections open, and waiting for them kept a stop busy until Node's keep-alive timeout (5 s) closed them,
 * or until the authz listener's 2 s grace period cut them.
 */

const REQUESTS = {
  admin: "GET /healthz HTTP/1.1\r\nhost: keyward\r\n\r\n",
  authz:
    "GET /authz/forward HTTP/1.1\r\nhost: keyward\r\nx-forwarded-method: GET\r\nx-forwarded-uri: /\r\n\r\n",
};

/** Sends one request on a kept-alive connection and waits for the whole answer; the connection stays open. */
async function idleConnection(port: number, request: string) {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  let text = "";
  await new Promise<void>((resolve) => {
    socket.on("data", (chunk) => {
      text += chunk;
      // Both answers are chunked: the last chunk ends them.
      if (text.endsWith("\r\n0\r\n\r\n")) resolve();
    });
    socket.write(request);
  });
  return { answer: text, closed };
}

describe.each(["admin", "authz"] as const)(
  "stopping with an idle keep-alive connection on the %s listener",
  (listener) => {
    let t: TestApp | undefined;
    afterEach(async () => {
      await t?.close();
    });

    it("closes the connection and finishes well before the connection's keep-alive timeout", async () => {
      t = await startTestApp();
      const port = listener === "admin" ? t.app.admin.port : t.app.authz.port;
      const { answer, closed } = await idleConnection(port, REQUESTS[listener]);
      expect(answer).toMatch(/^HTTP\/1\.1 (200|401) /);
      expect(answer.toLowerCase()).toContain("connection: keep-alive");
      const started = performance.now();
      await t.app.destroy();
      await closed;
      expect(performance.now() - started).toBeLessThan(1500);
    });
  },
);
