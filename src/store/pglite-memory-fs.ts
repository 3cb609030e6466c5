import { MemoryFS, type PGlite } from "@electric-sql/pglite";
import type { TarEntry } from "./tar.js";

type EmscriptenOptions = Parameters<MemoryFS["init"]>[1];
type EmscriptenModule = {
  ENV: Record<string, string>;
  FS: { mkdirTree(path: string): void; writeFile(path: string, data: Uint8Array): void };
};

/**
 * PGlite's in-memory filesystem, with a data dir already in it when the engine starts. PGlite's own
 * `loadDataDir` streams the archive through a Blob and unpacks it file by file in JavaScript, which costs
 * more than starting PostgreSQL; here the files are written straight into memory before the engine looks
 * for a database, and it finds one.
 */
export class PrefilledMemoryFS extends MemoryFS {
  constructor(private readonly entries: readonly TarEntry[]) {
    super();
  }

  override async init(pg: PGlite, options: EmscriptenOptions) {
    const { emscriptenOpts } = await super.init(pg, options);
    const fill = (mod: EmscriptenModule) => {
      // PGlite sets PGDATA in an earlier pre-run step; the archive's paths are relative to it.
      const root = mod.ENV.PGDATA;
      if (!root) throw new Error("PGlite did not say where its data dir is (PGDATA)");
      mod.FS.mkdirTree(root);
      for (const entry of this.entries) {
        const path = `${root}/${entry.path}`;
        if (entry.type === "dir") mod.FS.mkdirTree(path);
        else mod.FS.writeFile(path, entry.data);
      }
    };
    const preRun = [emscriptenOpts.preRun ?? []].flat();
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...preRun, fill] } as EmscriptenOptions };
  }
}
