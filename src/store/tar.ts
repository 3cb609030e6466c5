import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";

const BLOCK = 512;

/** One entry of a ustar archive: a regular file (with its bytes) or a directory. */
export interface TarEntry {
  path: string;
  type: "file" | "dir";
  data: Uint8Array;
}

/**
 * Reads a ustar archive (what PGlite's `dumpDataDir` writes): regular files and directories only. Paths are
 * made relative, and one that climbs out of the archive is refused, so an archive can only fill its own dir.
 */
export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(text(header, 124, 12) || "0", 8);
    const prefix = text(header, 257, 6) === "ustar" ? text(header, 345, 155) : "";
    const name = prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100);
    const flag = String.fromCharCode(header[156] ?? 0);
    const path = normalize(name.replace(/^\/+/, ""));
    if (!Number.isFinite(size) || path === ".." || path.startsWith(`..${sep}`)) {
      throw new Error(`tar entry "${name}" is damaged or leaves the archive`);
    }
    const start = at + BLOCK;
    if (flag === "5") entries.push({ path, type: "dir", data: new Uint8Array(0) });
    else if (flag === "0" || flag === "\0") {
      entries.push({ path, type: "file", data: tar.subarray(start, start + size) });
    } else throw new Error(`tar entry "${name}" has unsupported type "${flag}"`);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/**
 * Writes an archive's files under `dir` (files 0600, directories 0700: a database's files are private). The
 * entry named `last` is written after all others, so its presence says the rest is complete.
 */
export function extractTar(tar: Uint8Array, dir: string, last?: string): void {
  const entries = readTar(tar);
  const ordered = [...entries.filter((e) => e.path !== last), ...entries.filter((e) => e.path === last)];
  for (const entry of ordered) {
    const target = join(dir, entry.path);
    if (entry.type === "dir") mkdirSync(target, { recursive: true, mode: 0o700 });
    else {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      writeFileSync(target, entry.data, { mode: 0o600 });
    }
  }
}

function text(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return Buffer.from(end === -1 ? field : field.subarray(0, end))
    .toString("utf8")
    .trim();
}
