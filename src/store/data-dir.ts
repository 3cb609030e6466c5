import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

const LOCK = "keyward.lock";
const PEPPER = "pepper";
const SERVER = "server.json";

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
 * so the lock file (created exclusively, holding our pid) keeps others out; a lock left by a dead process
 * is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = lockHolder(dir);
      if (holder !== null) throw new DataDirBusyError(dir, holder);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot lock data dir ${dir}`);
}

/** The live process holding `dir`, or null. */
export function lockHolder(dir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, LOCK), "utf8").trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (pid === process.pid) return pid;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}

/** The pepper kept in the data dir, made on first use. `created` says whether it is new. */
export function dataDirPepper(dir: string): { secret: Buffer; created: boolean } {
  const path = join(dir, PEPPER);
  try {
    return { secret: Buffer.from(readFileSync(path, "utf8").trim(), "hex"), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
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
