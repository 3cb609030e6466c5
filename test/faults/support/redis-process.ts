import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { ensureDebianPackages } from "../../helpers/debian-packages.js";
import { freePort, isRunning, launch, signalAll, waitFor } from "./processes.js";

/**
 * A redis-server of a test's own on a spare port (never the shared one), which the test can freeze
 * (SIGSTOP: connected, never answering) and thaw.
 */
export class RedisProcess {
  private constructor(
    readonly pid: number,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisProcess> {
    ensureDebianPackages("redis-server=redis-server");
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "keyward-faults-redis-"));
    const { child, output } = launch("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ]);
    const redis = new RedisProcess(child.pid as number, port, dir);
    try {
      await waitFor(async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${output()}`);
        return redis.answers();
      }, "redis-server to answer");
    } catch (err) {
      redis.destroy();
      throw err;
    }
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async answers(): Promise<boolean> {
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      return (await client.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  freeze(): void {
    signalAll([this.pid], "SIGSTOP");
  }

  thaw(): void {
    signalAll([this.pid], "SIGCONT");
  }

  destroy(): void {
    signalAll([this.pid], "SIGCONT");
    signalAll([this.pid], "SIGKILL");
    if (!isRunning(this.pid)) rmSync(this.dir, { recursive: true, force: true });
    else setTimeout(() => rmSync(this.dir, { recursive: true, force: true }), 500).unref();
  }
}
