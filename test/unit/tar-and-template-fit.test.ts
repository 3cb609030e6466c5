import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type TemplateManifest, templateFits } from "../../src/store/pglite-template.js";
import { extractTar, readTar } from "../../src/store/tar.js";

const scratch = mkdtempSync(join(tmpdir(), "keyward-tar-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A one-entry ustar archive written by hand, for names no honest tar tool would write. */
function handMadeTar(name: string, data: string): Uint8Array {
  const header = Buffer.alloc(512);
  header.write(name, 0, "utf8");
  header.write("0000600\0", 100);
  header.write(`${Buffer.byteLength(data).toString(8).padStart(11, "0")}\0`, 124);
  header.write("0", 156);
  header.write("ustar\0", 257);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(data) / 512) * 512);
  body.write(data);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

describe("tar", () => {
  it("extracts what GNU tar archived (ustar format), long paths included, files 0600", () => {
    const source = join(scratch, "source");
    const deep = join(source, "base", "a".repeat(90), "b".repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(source, "PG_VERSION"), "17\n");
    writeFileSync(join(deep, "1259"), Buffer.alloc(9000, 7));
    const archive = spawnSync("tar", ["--format=ustar", "-cf", "-", "-C", source, "."], {
      maxBuffer: 1 << 24,
    });
    expect(archive.status, String(archive.stderr)).toBe(0);

    const target = join(scratch, "target");
    extractTar(archive.stdout, target, "PG_VERSION");
    expect(readFileSync(join(target, "PG_VERSION"), "utf8")).toBe("17\n");
    const copied = join(target, "base", "a".repeat(90), "b".repeat(60), "1259");
    expect(readFileSync(copied)).toEqual(Buffer.alloc(9000, 7));
    expect(statSync(copied).mode & 0o777).toBe(0o600);
  });

  it("strips a leading slash, as PGlite's dumps have one", () => {
    expect(readTar(handMadeTar("/pg_wal/0001", "wal")).map((e) => e.path)).toEqual(["pg_wal/0001"]);
  });

  it("refuses an entry that climbs out of the archive", () => {
    expect(() => readTar(handMadeTar("../../etc/evil", "x"))).toThrow(/leaves the archive/);
    expect(() => readTar(handMadeTar("base/../../evil", "x"))).toThrow(/leaves the archive/);
  });
});

describe("which template a new store may start from", () => {
  const current: TemplateManifest = { pglite: "0.5.16", migrations: ["0001-a", "0002-b", "0003-c"] };

  it("takes one with the same PGlite and the same or fewer migrations", () => {
    expect(templateFits(current, current)).toBe(true);
    expect(templateFits({ ...current, migrations: ["0001-a", "0002-b"] }, current)).toBe(true);
  });

  it("refuses one from another PGlite, or with migrations this program does not have", () => {
    expect(templateFits({ ...current, pglite: "0.5.15" }, current)).toBe(false);
    expect(templateFits({ ...current, migrations: [...current.migrations, "0004-d"] }, current)).toBe(false);
    expect(templateFits({ ...current, migrations: ["0001-a", "0002-x"] }, current)).toBe(false);
  });
});
