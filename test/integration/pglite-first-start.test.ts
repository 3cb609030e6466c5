import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/database.js";
import { loadTemplate, readManifest, TEMPLATE_DIR } from "../../src/store/pglite-template.js";

// Embedded PGlite whatever the suites' database: this is about how a new embedded store is made.
const scratch = mkdtempSync(join(tmpdir(), "keyward-first-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function sharedBuffers(db: Database): Promise<string> {
  const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(db.db);
  return rows[0]?.shared_buffers ?? "";
}

describe("a new embedded store", { timeout: 120_000 }, () => {
  it("has a built template that fits this program (npm run build makes it)", async () => {
    expect(readManifest(), `no template in ${TEMPLATE_DIR}: run npm run build`).not.toBeNull();
    expect(await loadTemplate()).not.toBeNull();
  });

  it("starts from the template: migrated before migrate runs, and says it was created", async () => {
    const dir = join(scratch, "new");
    const db = await Database.open({ kind: "pglite", dataDir: dir });
    try {
      expect(db.createdDataDir).toBe(true);
      expect(await db.isMigrated()).toBe(true);
      expect(await db.migrate()).toEqual([]);
      expect(await sharedBuffers(db)).toBe("16MB");
    } finally {
      await db.close();
    }
    const again = await Database.open({ kind: "pglite", dataDir: dir });
    try {
      expect(again.createdDataDir).toBe(false);
      expect(await again.isMigrated()).toBe(true);
    } finally {
      await again.close();
    }
  });

  it("redoes a copy that was interrupted before PG_VERSION was written", async () => {
    const dir = join(scratch, "interrupted");
    mkdirSync(join(dir, "base"), { recursive: true });
    writeFileSync(join(dir, "base", "half-written"), "x");
    const db = await Database.open({ kind: "pglite", dataDir: dir });
    try {
      expect(db.createdDataDir).toBe(true);
      expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
      expect(await db.isMigrated()).toBe(true);
    } finally {
      await db.close();
    }
  });

  it("in memory starts from the template too", async () => {
    const db = await Database.open({ kind: "pglite", dataDir: null });
    try {
      expect(db.createdDataDir).toBe(false);
      expect(await db.isMigrated()).toBe(true);
      expect(await sharedBuffers(db)).toBe("16MB");
    } finally {
      await db.close();
    }
  });
});
