import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** TCP state LISTEN, as /proc/net/tcp writes it. */
const LISTEN = "0A";

/**
 * Whether process `pid` itself holds a socket listening on TCP `port` (any local address), read from /proc:
 * a free port can be taken by another process between being found and being bound, and then a connection to
 * it proves nothing about who answers.
 */
export function holdsListener(pid: number, port: number): boolean {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return false;
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readLines(table).slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1] ?? "";
      if (fields[3] === LISTEN && local.endsWith(`:${hexPort}`) && inodes.has(fields[9] ?? "")) return true;
    }
  }
  return false;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // Closed while being read.
    }
  }
  return inodes;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
  } catch {
    return [];
  }
}
