import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LOCK = "keyward.lock";
const PEPPER = "pepper";
const SERVER = "server.json";

/**
 * Lock files this process wrote. A lock naming our own pid that is not in here was left by an earlier
 * process that had the same pid: in a container the server is PID 1 on every start, so after a crash its
 * lock would otherwise name the new process itself and keep it out for good.
 */
const held = new Set<string>();

/** A second process tried to open a data dir another one holds. */
export class DataDirBusyError extends Error {
  override name = "DataDirBusyError";
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dir} is held by process ${pid}`);
  }
}

/**
 * Takes the data dir for this process. PGlite is one process's database: a second opener would corrupt it,
 * so the lock file keeps others out; a lock left by a dead process is taken over. The lock names our pid, when
 * this process started and which boot of the machine it runs in: after a crash and a reboot (or in a new
 * container) the pid may belong to another, live process, which must not keep the dir locked for good. The
 * lock is written under a private name and hard-linked into place, so it never exists half-written: a second
 * process starting at the same moment cannot read an empty lock, think it stale and take it too.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK);
  const draft = `${path}.${process.pid}`;
  const identity = processIdentity(process.pid);
  const text = identity ? `${process.pid} ${identity.start} ${identity.boot}\n` : `${process.pid}\n`;
  writeFileSync(draft, text, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(draft, path);
        held.add(path);
        return () => {
          held.delete(path);
          if (readPid(path) === process.pid) rmSync(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const holder = lockHolder(dir);
        if (holder !== null) throw new DataDirBusyError(dir, holder);
        rmSync(path, { force: true });
      }
    }
  } finally {
    rmSync(draft, { force: true });
  }
  throw new Error(`cannot lock data dir ${dir}`);
}

/** What a lock file says: the pid, and (on Linux) that process's start time and the boot it ran in. */
interface LockRecord {
  pid: number;
  identity: ProcessIdentity | null;
}

function readLock(path: string): LockRecord | null {
  let fields: string[];
  try {
    fields = readFileSync(path, "utf8").trim().split(/\s+/);
  } catch {
    return null;
  }
  const pid = Number(fields[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const [start, boot] = [fields[1], fields[2]];
  return { pid, identity: start && boot ? { start, boot } : null };
}

function readPid(path: string): number | null {
  return readLock(path)?.pid ?? null;
}

/** Tells one process from a later one that reuses its pid: its start time (clock ticks since boot) and boot. */
export interface ProcessIdentity {
  start: string;
  boot: string;
}

/** The identity of process `pid` from Linux's /proc, or null where there is none (or no such process). */
export function processIdentity(pid: number): ProcessIdentity | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 is the start time; the command name (field 2) may hold spaces, so count from its ")".
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return start && boot ? { start, boot } : null;
  } catch {
    return null;
  }
}

/** The live process holding `dir`, or null. */
export function lockHolder(dir: string): number | null {
  const path = join(dir, LOCK);
  const lock = readLock(path);
  if (lock === null) return null;
  const { pid } = lock;
  if (pid === process.pid) return held.has(path) ? pid : null;
  if (lock.identity) {
    const now = processIdentity(pid);
    const alive = existsSync("/proc/self/stat")
      ? now !== null && now.start === lock.identity.start && now.boot === lock.identity.boot
      : isAlive(pid);
    return alive ? pid : null;
  }
  return isAlive(pid) ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The pepper kept in the data dir, made on first use. `created` says whether it is new. A damaged pepper file
 * is refused rather than used: hashing under the wrong bytes would silently make every stored key unusable.
 */
export function dataDirPepper(dir: string): { secret: Buffer; created: boolean } {
  const path = join(dir, PEPPER);
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== undefined) {
    if (!/^(?:[0-9a-f]{2}){32,}$/i.test(text)) {
      throw new Error(`pepper file ${path} is damaged: expected at least 64 hex digits`);
    }
    return { secret: Buffer.from(text, "hex"), created: false };
  }
  const secret = randomBytes(32);
  writeFileSync(path, `${secret.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return { secret, created: true };
}

/** How CLI commands reach the server that holds a data dir. */
export interface ServerHandle {
  pid: number;
  /** The admin listener, `http://host:port`. */
  adminUrl: string;
  /** A credential that acts as the CLI on the admin API; lives only as long as the server. */
  token: string;
}

/** Records how to reach this server (mode 0600: the token is an admin credential). */
export function writeServerHandle(dir: string, handle: ServerHandle): () => void {
  const path = join(dir, SERVER);
  writeFileSync(path, JSON.stringify(handle), { mode: 0o600 });
  return () => rmSync(path, { force: true });
}

/** The running server's handle, when a live process holds the dir. */
export function readServerHandle(dir: string): ServerHandle | null {
  if (lockHolder(dir) === null) return null;
  try {
    const handle = JSON.parse(readFileSync(join(dir, SERVER), "utf8")) as ServerHandle;
    return handle.pid === lockHolder(dir) ? handle : null;
  } catch {
    return null;
  }
}

/**
 * The server to go through, waiting while the dir's holder is still starting (it writes its handle once it
 * listens) or is a short-lived command that will let go. Null when nobody holds the dir (open it directly) or
 * the holder never offered a handle in time (opening it directly then names the holder).
 */
export async function awaitServerHandle(dir: string, timeoutMs = 30_000): Promise<ServerHandle | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const handle = readServerHandle(dir);
    if (handle) return handle;
    if (lockHolder(dir) === null || Date.now() >= deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
