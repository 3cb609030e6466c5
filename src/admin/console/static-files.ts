import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** Where `npm run build` puts the console, from this file in `src/` or in `dist/` alike. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../dist/console/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** A file ready to send. */
export interface StaticFile {
  type: string;
  body: Buffer;
  gzipped: Buffer | null;
  /** Hashed build assets never change under their name, so browsers keep them for a year. */
  immutable: boolean;
}

/** Reads the built console's files on first use and keeps them (they only change with a new build). */
export class StaticFiles {
  private readonly cache = new Map<string, Promise<StaticFile | null>>();

  constructor(private readonly dir: string) {}

  /**
   * The file for a path under `/console/`. Paths without an extension are the app's own pages, all answered by
   * its `index.html`; paths that leave the directory find nothing.
   */
  lookup(relative: string): Promise<StaticFile | null> {
    const name = extname(relative) === "" ? "index.html" : normalize(relative);
    if (name.startsWith("..") || name.includes(`${sep}..`) || name.startsWith(sep)) {
      return Promise.resolve(null);
    }
    let file = this.cache.get(name);
    if (!file) {
      file = this.load(name);
      this.cache.set(name, file);
    }
    return file;
  }

  private async load(name: string): Promise<StaticFile | null> {
    const type = TYPES[extname(name)];
    if (!type) return null;
    let body: Buffer;
    try {
      body = await readFile(join(this.dir, name));
    } catch {
      this.cache.delete(name);
      return null;
    }
    const compressible = !type.startsWith("image/png") && !type.startsWith("font/");
    return {
      type,
      body,
      gzipped: compressible && body.length > 1024 ? gzipSync(body) : null,
      immutable: name.startsWith(`assets${sep}`),
    };
  }
}
