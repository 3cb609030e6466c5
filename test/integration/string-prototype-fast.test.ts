import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** Whether String.prototype still has fast properties after `source` runs, in a fresh Node process. */
function stringPrototypeFastAfter(source: string, moduleSource = false): { fast: string; stderr: string } {
  const probe = `${source}\nprocess.stdout.write(String(%HasFastProperties(String.prototype)));`;
  const args = ["--allow-natives-syntax", ...(moduleSource ? ["--input-type=module"] : []), "-e", probe];
  const run = spawnSync(process.execPath, args, { encoding: "utf8" });
  return { fast: run.stdout, stderr: run.stderr };
}

/**
 * A class extending String, anywhere in the process, turns String.prototype's properties into a dictionary in
 * V8. Every `length`, `charCodeAt`, `indexOf` and `slice` on a string in optimised code then goes through V8's
 * generic property load: a sixth of a cached Check's instructions (docs/design.md, "On the eighth day").
 * ioredis 6 declares such a class in its RESP3 decoder, which it loads whether or not Redis is used.
 */
describe("String.prototype in the server's process", () => {
  it("keeps fast properties once every module the server loads is loaded", () => {
    // What `keyward serve` loads to run the server: the app and its context, as built.
    const imports = ["app.js", "context.js", "cli/serve.js"]
      .map((file) => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url)))
      .map((path) => `await import(${JSON.stringify(path)});`);
    const after = stringPrototypeFastAfter(imports.join("\n"), true);
    expect(after.stderr).toBe("");
    expect(after.fast).toBe("true");
  });

  it("loses them to a class that extends String, which the probe above would catch", () => {
    expect(stringPrototypeFastAfter("class Verbatim extends String {}").fast).toBe("false");
  });
});
