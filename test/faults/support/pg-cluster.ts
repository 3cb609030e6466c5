import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ensureDebianPackages } from "../../helpers/debian-packages.js";
import { freePort, isRunning, launch, processTree, signalAll, waitFor } from "./processes.js";

/** The newest PostgreSQL server binaries Debian installed (postgresql-NN puts them off PATH). */
function postgresBin(): string {
  const find = () =>
    existsSync("/usr/lib/postgresql")
      ? readdirSync("/usr/lib/postgresql")
          .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
          .sort((a, b) => Number(b) - Number(a))[0]
      : undefined;
  let version = find();
  if (!version) {
    ensureDebianPackages("/usr/lib/postgresql/15/bin/initdb=postgresql-15");
    version = find();
  }
  if (!version) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql");
  return `/usr/lib/postgresql/${version}/bin`;
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

/**
 * A PostgreSQL cluster of a test's own, in a temporary directory on a spare port: never the shared server.
 * The test kills it (SIGKILL, as a crash), freezes it (SIGSTOP: connected sockets stay up, nothing answers)
 * and brings it back. `destroy` always removes everything, whatever state the cluster is in.
 */
export class PgCluster {
  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async start(): Promise<PgCluster> {
    const bin = postgresBin();
    const dir = mkdtempSync(join(tmpdir(), "keyward-faults-pg-"));
    if (process.getuid?.() === 0) chownSync(dir, uidOf("postgres"), gidOf("postgres"));
    const [cmd, args] = asServerUser(`${bin}/initdb`, [
      "-D",
      join(dir, "data"),
      "-U",
      "postgres",
      "-A",
      "trust",
      "--no-sync",
      "--no-instructions",
    ]);
    execFileSync(cmd, args, { stdio: "ignore" });
    const cluster = new PgCluster(dir, await freePort(), bin);
    try {
      await cluster.up();
    } catch (err) {
      cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts (or restarts, after a kill) the server and waits until it accepts queries. */
  async up(): Promise<void> {
    const [cmd, args] = asServerUser(`${this.bin}/postgres`, [
      "-D",
      join(this.dir, "data"),
      "-p",
      String(this.port),
      "-k",
      this.dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "shared_buffers=16MB",
      "-c",
      "max_connections=60",
    ]);
    const { child, output } = launch(cmd, args);
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${output()}`);
      return this.answers();
    }, "PostgreSQL to accept connections");
  }

  private async answers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 500 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("select 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The postmaster's pid, from its pid file; null when it is not running. */
  get pid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
      return isRunning(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  /** Every process of the cluster: the postmaster, its helpers and backends. */
  private processes(): number[] {
    const pid = this.pid;
    return pid === null ? [] : processTree(pid);
  }

  /** A crash: SIGKILL to every process of the cluster at once. */
  async kill(): Promise<void> {
    const pids = this.processes();
    signalAll(pids, "SIGKILL");
    await waitFor(() => pids.every((p) => !isRunning(p)), "PostgreSQL to die");
  }

  /** A hang: SIGSTOP to every process. Connections stay open; nothing answers, new ones are not accepted. */
  freeze(): void {
    signalAll(this.processes(), "SIGSTOP");
  }

  thaw(): void {
    signalAll(this.processes(), "SIGCONT");
  }

  /** Freezes one backend: the one serving the connection whose application_name is `name`. */
  async freezeBackend(name: string): Promise<number> {
    const rows = await this.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = $1",
      [name],
    );
    const pid = rows[0]?.pid;
    if (pid === undefined) throw new Error(`no backend for ${name}`);
    process.kill(pid, "SIGSTOP");
    return pid;
  }

  async query<R extends Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
    database = "postgres",
  ): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    client.on("error", () => {});
    await client.connect();
    try {
      return (await client.query(text, params)).rows as R[];
    } finally {
      await client.end();
    }
  }

  /** Kills the cluster (thawed first, so SIGKILL lands) and removes its directory. */
  destroy(): void {
    const pids = this.processes();
    signalAll(pids, "SIGCONT");
    signalAll(pids, "SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}

function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
}
