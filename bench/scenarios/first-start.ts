import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { ms } from "../report.js";
import type { Scenario } from "../scenario.js";

const KEYWARD = fileURLToPath(new URL("../../bin/keyward.js", import.meta.url));
const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";
const READY_TIMEOUT_MS = 120_000;

/** One start of `keyward serve`, measured from spawn to `/readyz` answering 200. */
interface StartFigures {
  readyMs: number;
  /** Resident set size right after ready. */
  rssMb: number;
  /** CPU time (user + system) the process spent to get there: unlike wall time, little moved by other load. */
  cpuMs: number;
}

/**
 * Time to ready and memory of the real `keyward serve` (compiled, as users run it): the first start on an
 * empty data dir, a restart on the same dir, an in-memory store (what every integration test starts), and
 * PostgreSQL. Needs `npm run build` (the template for new embedded stores is made there).
 */
export const firstStart: Scenario = {
  id: "first-start",
  title: "first start: time to ready and memory of keyward serve",
  async run(ctx) {
    const rounds = ctx.settings.quick ? 1 : 3;
    const rows: string[][] = [];
    const notes: string[] = [];
    const pepper = randomBytes(32).toString("hex");
    const reused = join(ctx.tmpDir, "fs-reused");
    const cases: {
      label: string;
      env: () => Promise<{ env: Record<string, string>; done?: () => Promise<void> }>;
    }[] = [
      {
        label: "PGlite, first start (new data dir)",
        env: async () => ({
          env: { KEYWARD_DATA_DIR: join(ctx.tmpDir, `fs-${randomBytes(4).toString("hex")}`) },
        }),
      },
      { label: "PGlite, restart (same data dir)", env: async () => ({ env: { KEYWARD_DATA_DIR: reused } }) },
      { label: "PGlite, memory://", env: async () => ({ env: { KEYWARD_DATABASE_URL: "memory://" } }) },
      {
        label: "PostgreSQL",
        env: async () => {
          const url = ctx.settings.databaseUrl ?? DEFAULT_URL;
          const db = `bench_fs_${randomBytes(4).toString("hex")}`;
          await adminQuery(url, `create database ${db}`);
          const target = new URL(url);
          target.pathname = `/${db}`;
          return {
            env: { KEYWARD_DATABASE_URL: target.toString(), KEYWARD_PEPPER: pepper },
            done: () => adminQuery(url, `drop database if exists ${db} with (force)`),
          };
        },
      },
    ];
    await measureStart({ KEYWARD_DATA_DIR: reused }); // makes the store the restart rows reopen
    for (const c of cases) {
      const figures: StartFigures[] = [];
      try {
        for (let i = 0; i < rounds; i++) {
          const { env, done } = await c.env();
          try {
            figures.push(await measureStart(env));
          } finally {
            await done?.();
          }
        }
      } catch (err) {
        notes.push(`${c.label}: skipped (${err instanceof Error ? err.message : String(err)})`);
        continue;
      }
      rows.push(row(c.label, figures));
    }
    notes.push(
      "ready = spawn of `node bin/keyward.js serve` until GET /readyz answers 200; rss = VmRSS then; cpu = user+system time then.",
      "Wall times move with the machine's load (see the load average above); cpu time much less.",
    );
    return {
      title: this.title,
      params: [["rounds", String(rounds)]],
      columns: [
        "store",
        "ready ms (median)",
        "ready ms (min)",
        "rss MB (median)",
        "rss MB (max)",
        "cpu ms (median)",
      ],
      rows,
      notes,
      problems: [],
    };
  },
};

function row(label: string, figures: StartFigures[]): string[] {
  const ready = figures.map((f) => f.readyMs).sort((a, b) => a - b);
  const rss = figures.map((f) => f.rssMb).sort((a, b) => a - b);
  const cpu = figures.map((f) => f.cpuMs).sort((a, b) => a - b);
  return [
    label,
    ms(median(ready)),
    ms(ready[0]),
    rss[Math.floor(rss.length / 2)]?.toFixed(0) ?? "-",
    rss.at(-1)?.toFixed(0) ?? "-",
    ms(median(cpu)),
  ];
}

function median(sorted: number[]): number | undefined {
  return sorted[Math.floor(sorted.length / 2)];
}

/** Starts `keyward serve` with `env` on free ports, waits for ready, reads its figures, stops it. */
async function measureStart(env: Record<string, string>): Promise<StartFigures> {
  const started = performance.now();
  const child = spawn(process.execPath, [KEYWARD, "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0",
      KEYWARD_ADMIN_LISTEN: "127.0.0.1:0",
      KEYWARD_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const admin = await adminAddress(child);
    for (;;) {
      const res = await fetch(`http://${admin}/readyz`).catch(() => null);
      if (res?.status === 200) break;
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error("not ready in time");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const readyMs = performance.now() - started;
    return { readyMs, rssMb: rssMb(child.pid ?? 0), cpuMs: cpuMs(child.pid ?? 0) };
  } finally {
    await stop(child);
  }
}

/** The admin listener's address, from the "keyward serving" log line. */
function adminAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"admin":"([^"]+)"[^\n]*"msg":"keyward serving"/.exec(buffered);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) =>
      reject(new Error(`keyward serve exited (${code}): ${stderr.trim().split("\n")[0]}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name) are utime and stime in ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
