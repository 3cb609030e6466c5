// `npm run build`: generate src/gen, compile dist/, build the console, make the PGlite template. A step runs
// only when what it is made from, or what it made, changed since it last ran here: `npm test` builds first, and
// rebuilding an unchanged tree cost about 20 s of every run. What a step last saw is kept in dist/.build/, so a
// fresh clone (or `rm -rf dist`) builds everything.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const STAMPS = join(ROOT, "dist", ".build");

/**
 * Each step: the command, the files and folders it reads, and those it writes (`skip`: folders inside them
 * that other steps write). package-lock.json is an input of every step: a new tool version may make other output.
 */
const STEPS = [
  {
    name: "gen",
    command: "npm run gen",
    inputs: ["proto", "buf.yaml", "buf.gen.yaml", "buf.gen.envoy.yaml", "package-lock.json"],
    outputs: ["src/gen"],
  },
  {
    name: "tsc",
    command: "tsc -p tsconfig.build.json",
    inputs: ["src", "tsconfig.json", "tsconfig.build.json", "package-lock.json"],
    outputs: ["dist"],
    skip: ["dist/console", "dist/pglite-template", "dist/.build"],
  },
  {
    name: "console",
    command: "npm run build:console",
    inputs: ["console", "src/gen", "package-lock.json"],
    skipInputs: ["console/test"],
    outputs: ["dist/console"],
  },
];

/** A digest of the files under `paths` (names and contents), leaving out the folders in `skip`. */
function digest(paths, skip = []) {
  const hash = createHash("sha256");
  const visit = (path) => {
    if (skip.includes(relative(ROOT, path))) return;
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (err) {
      if (err.code === "ENOENT") return;
      if (err.code !== "ENOTDIR") throw err;
      hash.update(`${relative(ROOT, path)}\0`);
      hash.update(readFileSync(path));
      hash.update("\0");
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) visit(join(path, entry.name));
  };
  for (const path of paths) visit(join(ROOT, path));
  return hash.digest("hex");
}

function readStamp(name) {
  try {
    return JSON.parse(readFileSync(join(STAMPS, `${name}.json`), "utf8"));
  } catch {
    return null;
  }
}

function run(command) {
  const result = spawnSync(command, { cwd: ROOT, stdio: "inherit", shell: true });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

for (const step of STEPS) {
  const inputs = digest(step.inputs, step.skipInputs);
  const stamp = readStamp(step.name);
  if (stamp?.inputs === inputs && stamp.outputs === digest(step.outputs, step.skip)) {
    console.error(`build: ${step.name} is current`);
    continue;
  }
  run(step.command);
  mkdirSync(STAMPS, { recursive: true });
  const outputs = digest(step.outputs, step.skip);
  writeFileSync(join(STAMPS, `${step.name}.json`), `${JSON.stringify({ inputs, outputs })}\n`);
}
// The template keeps its own manifest and is rebuilt only when PGlite or the migrations changed.
run("node scripts/build-pglite-template.js");
