import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const GRPC_ANSWER = fileURLToPath(new URL("../../dist/authz/transport/grpc-answer.js", import.meta.url));

/**
 * How many of 1,000 copies of `options`, made the way Node's `Http2Stream.respond()` makes them (spread, then
 * `endStream` set on the copy), share the hidden class of the copy before them; in a fresh Node process.
 */
function copiesSharingAShape(optionsSource: string): { same: string; stderr: string } {
  const probe = `
    const options = ${optionsSource};
    const copy = () => { const o = { ...options }; o.endStream = !!o.endStream; return o; };
    let same = 0;
    let previous = copy();
    for (let i = 0; i < 1000; i++) {
      const next = copy();
      if (%HaveSameMap(next, previous)) same++;
      previous = next;
    }
    process.stdout.write(String(same));`;
  const run = spawnSync(process.execPath, ["--allow-natives-syntax", "--input-type=module", "-e", probe], {
    encoding: "utf8",
  });
  return { same: run.stdout, stderr: run.stderr };
}

/**
 * Every gRPC answer passes shared options to `respond()`. When they lack `endStream`, V8 gives each copy
 * respond() makes a new hidden class, and three loads per answer miss their inline caches (docs/design.md,
 * "On the fourteenth day").
 */
describe("the options every gRPC answer passes to respond()", () => {
  it("keep one hidden class from copy to copy", () => {
    const options = `(await import(${JSON.stringify(GRPC_ANSWER)})).WITH_TRAILERS`;
    const copies = copiesSharingAShape(options);
    expect(copies.stderr).toBe("");
    // The first copies may settle the class once (V8 generalises a field's representation); then it holds.
    expect(Number(copies.same)).toBeGreaterThan(990);
  });

  it("would not without endStream, which the probe above would catch", () => {
    const copies = copiesSharingAShape("{ waitForTrailers: true, sendDate: false }");
    expect(copies.stderr).toBe("");
    expect(Number(copies.same)).toBeLessThan(100);
  });
});
