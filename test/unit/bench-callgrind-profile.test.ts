import { describe, expect, it } from "vitest";
import {
  categoryOf,
  PerfMap,
  readCallgrind,
  requestProfile,
  shortName,
} from "../../bench/callgrind-profile.js";

// Shaped like a real dump: names compressed on first use, a call's inclusive cost after its `calls=` line,
// positions relative, and a second thread's part of the same function.
const DUMP = `# callgrind format
version: 1
positions: line
events: Ir
summary: 0

ob=(1) /usr/bin/node
fl=(1) ???
fn=(1) Builtins_LoadIC_Megamorphic
0 700
cfn=(2) v8::internal::String::ComputeAndSetRawHash()
calls=3 0
0 9000
+2 300

fn=(2)
0 250

ob=(2) ???
fn=(3) 0x0000000000001010
0 4000
fn=(4) 0x0000000000002008
* 1000
fn=(5) 0x0000000000005000
-1 60

ob=(3) /usr/lib/x86_64-linux-gnu/libc.so.6
fn=(6) malloc
0 440
cob=(1)
cfn=(1)
calls=1 0
0 123456

ob=(1)
fn=(1)
0 5

totals: 6755
`;

const PERF_MAP = [
  "1000 100 JS:*readHttp file:///srv/keyward/dist/authz/check-request-reader.js:168:18",
  "2000 40 JS:~emit node:events:471:44",
  "3000 10 Builtin:CallFunction",
].join("\n");

describe("reading a callgrind dump", () => {
  const counts = readCallgrind(DUMP);
  const own = (name: string) => counts.functions.find((f) => f.name === name)?.instructions;

  it("counts each function's own instructions, leaving out what its calls cost", () => {
    expect(own("Builtins_LoadIC_Megamorphic")).toBe(1005);
    expect(own("v8::internal::String::ComputeAndSetRawHash()")).toBe(250);
    expect(own("malloc")).toBe(440);
  });

  it("keeps the total of the counted window, which the functions' own costs add up to", () => {
    expect(counts.total).toBe(6755);
    expect(counts.functions.reduce((sum, f) => sum + f.instructions, 0)).toBe(6755);
  });

  it("knows which binary each function lies in", () => {
    expect(counts.functions.find((f) => f.name === "malloc")?.object).toBe(
      "/usr/lib/x86_64-linux-gnu/libc.so.6",
    );
  });
});

describe("naming and sorting the counted functions", () => {
  const perf = new PerfMap(PERF_MAP);
  const counts = readCallgrind(DUMP);

  it("finds V8's generated code by address, inside an entry and not past its end", () => {
    expect(perf.nameAt(0x1010)).toMatch(/readHttp/);
    expect(perf.nameAt(0x2039)).toMatch(/emit/);
    expect(perf.nameAt(0x2040)).toBeUndefined();
    expect(perf.nameAt(0x0fff)).toBeUndefined();
  });

  it("sorts generated code by whose JavaScript it is, and native code by symbol and binary", () => {
    const category = (name: string, object = "/usr/bin/node") =>
      categoryOf({ name, object, instructions: 1 }, perf).category;
    expect(category("0x0000000000001010", "???")).toBe("the server's own JavaScript");
    expect(category("0x0000000000002008", "???")).toBe("Node's JavaScript");
    expect(category("0x0000000000003004", "???")).toBe("V8's other builtins and runtime");
    expect(category("0x0000000000005000", "???")).toBe(
      "unnamed generated code (WebAssembly: PGlite's engine)",
    );
    expect(category("Builtins_KeyedStoreIC_Megamorphic")).toBe(
      "V8's inline caches (property loads and stores)",
    );
    expect(category("Builtins_StringEqual")).toBe("V8's other builtins and runtime");
    expect(category("nghttp2_session_mem_recv")).toBe("nghttp2 (HTTP/2 frames, HPACK)");
    expect(category("sha256_block_data_order_avx2")).toBe("OpenSSL");
    expect(category("malloc", "/usr/lib/x86_64-linux-gnu/libc.so.6")).toBe(
      "libc and libstdc++ (malloc, memcpy)",
    );
    expect(category("v8::internal::compiler::Scheduler::Run()")).toBe("V8's compilers");
    expect(category("void v8::internal::Scavenger::ScavengeObject()")).toBe("V8's garbage collector");
    expect(category("node::http2::Http2Session::FindStream(int)")).toBe("Node's C++");
    expect(category("something_else")).toBe("other");
  });

  it("spreads the window over the requests counted, and names the server's own functions", () => {
    const profile = requestProfile(counts, perf, 5);
    expect(profile.perRequest).toBe(1351);
    expect(profile.byCategory.get("the server's own JavaScript")).toBe(800);
    expect(profile.byCategory.get("Node's JavaScript")).toBe(200);
    expect(profile.ownFunctions).toEqual([
      { name: "readHttp (authz/check-request-reader.js)", perRequest: 800 },
    ]);
    const all = [...profile.byCategory.values()].reduce((sum, n) => sum + n, 0);
    expect(all).toBeCloseTo(profile.perRequest);
  });

  it("shortens a generated function's name to the function and its file", () => {
    expect(shortName("JS:* file:///srv/keyward/dist/authz/transport/grpc-request.js:39:22")).toBe(
      "(anonymous) (authz/transport/grpc-request.js)",
    );
    expect(shortName("Builtin:CallFunction")).toBe("Builtin:CallFunction");
  });
});
