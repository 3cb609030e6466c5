import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killSpawned, lines, runCli } from "../helpers/cli.js";

let taken: Server;
let port: number;

beforeAll(async () => {
  taken = createServer();
  port = await new Promise<number>((resolve) => {
    taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port));
  });
});
afterAll(async () => {
  await killSpawned();
  await new Promise((resolve) => taken.close(resolve));
});

describe("keyward serve on a port already in use", { timeout: 150_000 }, () => {
  for (const listener of ["authz", "admin"] as const) {
    it(`exits 1 with one line naming the ${listener} listener, its address and the setting`, async () => {
      const other = listener === "authz" ? "KEYWARD_ADMIN_LISTEN" : "KEYWARD_AUTHZ_LISTEN";
      const r = await runCli(
        ["serve"],
        {
          KEYWARD_DATABASE_URL: "memory://",
          [`KEYWARD_${listener.toUpperCase()}_LISTEN`]: `127.0.0.1:${port}`,
          [other]: "127.0.0.1:0",
          KEYWARD_LOG_LEVEL: "error",
        },
        140_000,
      );
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toEqual([
        `keyward serve: the ${listener} listener cannot listen on 127.0.0.1:${port}: the address is already in use (is another keyward serve running?); choose another with KEYWARD_${listener.toUpperCase()}_LISTEN or --${listener}-listen`,
      ]);
      expect(r.stdout).not.toContain("    at ");
    });
  }
});
