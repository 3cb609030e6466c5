/**
 * Reading what callgrind counted: the instructions each function ran itself (not in its callees), from
 * callgrind's output file, with V8's generated code named through the map `node --perf-basic-prof` writes,
 * and the functions sorted into what they are part of (the server's own JavaScript, Node, V8, nghttp2...).
 */

/** One function's own instructions, with the binary it lies in. */
export interface FunctionCost {
  object: string;
  name: string;
  instructions: number;
}

/** A callgrind output file, read: every function's own cost, and the total of the counted window. */
export interface CallgrindCounts {
  total: number;
  functions: FunctionCost[];
}

/**
 * Reads callgrind's output format (version 1, with `Ir` as its first event). A cost line right after a
 * `calls=` line is what the call cost inclusively, so it is not the caller's own. Names may be compressed:
 * `fn=(12) name` defines 12, a later `fn=(12)` refers to it; objects, files and functions are numbered
 * apart.
 */
export function readCallgrind(text: string): CallgrindCounts {
  const objects = new Map<string, string>();
  const files = new Map<string, string>();
  const functions = new Map<string, string>();
  const tableOf: Record<string, Map<string, string>> = {
    ob: objects,
    cob: objects,
    fl: files,
    fi: files,
    fe: files,
    cfi: files,
    cfl: files,
    fn: functions,
    cfn: functions,
  };
  const costs = new Map<string, FunctionCost>();
  let object = "";
  let current: FunctionCost | undefined;
  let callCostNext = false;
  let total = 0;
  for (const line of text.split("\n")) {
    const first = line.charCodeAt(0);
    // A cost line: a position ("123", "+2", "-1" or "*"), then the events.
    if ((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 42) {
      if (callCostNext) callCostNext = false;
      else if (current) current.instructions += Number(line.split(" ")[1] ?? 0) || 0;
      continue;
    }
    const eq = line.indexOf("=");
    const key = eq > 0 ? line.slice(0, eq) : "";
    const table = tableOf[key];
    if (table) {
      const name = compressedName(table, line.slice(eq + 1));
      if (key === "ob") object = name;
      else if (key === "fn") current = costOf(costs, object, name);
    } else if (key === "calls") {
      callCostNext = true;
    } else if (line.startsWith("totals:")) {
      total = Number(line.slice("totals:".length).trim().split(" ")[0]);
    }
  }
  return { total, functions: [...costs.values()] };
}

function compressedName(table: Map<string, string>, value: string): string {
  const m = /^\((\d+)\)(?: (.*))?$/.exec(value);
  if (!m) return value;
  const [, id = "", name] = m;
  if (name !== undefined) table.set(id, name);
  return table.get(id) ?? `(${id})`;
}

function costOf(costs: Map<string, FunctionCost>, object: string, name: string): FunctionCost {
  const key = `${object}\u0000${name}`;
  let cost = costs.get(key);
  if (!cost) {
    cost = { object, name, instructions: 0 };
    costs.set(key, cost);
  }
  return cost;
}

/** V8's generated code by address, from `/tmp/perf-<pid>.map` ("start size name" a line, in hex). */
export class PerfMap {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly names: string[] = [];

  constructor(text: string) {
    const entries: [number, number, string][] = [];
    for (const line of text.split("\n")) {
      const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/i.exec(line);
      if (m) entries.push([Number.parseInt(m[1] ?? "", 16), Number.parseInt(m[2] ?? "", 16), m[3] ?? ""]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    for (const [start, size, name] of entries) {
      this.starts.push(start);
      this.ends.push(start + size);
      this.names.push(name);
    }
  }

  /** The code at `address`, or undefined when no entry holds it. */
  nameAt(address: number): string | undefined {
    let low = 0;
    let high = this.starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if ((this.starts[mid] as number) <= address) low = mid + 1;
      else high = mid - 1;
    }
    return high >= 0 && address < (this.ends[high] as number) ? this.names[high] : undefined;
  }
}

/** What a function is part of, in the order the report lists them. */
export const CATEGORIES = [
  "the server's own JavaScript",
  "libraries' JavaScript (node_modules)",
  "Node's JavaScript",
  "V8's inline caches (property loads and stores)",
  "V8's other builtins and runtime",
  "unnamed generated code (WebAssembly: PGlite's engine)",
  "Node's C++",
  "nghttp2 (HTTP/2 frames, HPACK)",
  "OpenSSL",
  "libc and libstdc++ (malloc, memcpy)",
  "V8's garbage collector",
  "V8's compilers",
  "other",
] as const;

export type Category = (typeof CATEGORIES)[number];

/**
 * Native functions by symbol and binary, the first rule that matches winning. nghttp2 is linked into Node,
 * so its static functions are told by their names.
 */
const NATIVE_RULES: [Category, (name: string, object: string) => boolean][] = [
  [
    "V8's compilers",
    (name) => /v8::internal::(compiler|maglev|baseline)::|Turbofan|OptimizedCompilationJob/.test(name),
  ],
  [
    "V8's garbage collector",
    (name) =>
      /Scaveng|MarkCompact|Marking|Sweep|Evacuat|Heap::|GCTracer|RememberedSet|SlotSet|heap::base/.test(name),
  ],
  ["V8's inline caches (property loads and stores)", (name) => /^Builtins_\w*IC(_|$)/.test(name)],
  [
    "nghttp2 (HTTP/2 frames, HPACK)",
    (name) =>
      /^(nghttp2_|hd_|session_|stream_less|stream_obq|bubble_|inbound_frame_|frame_pack|lookup_token|pq_)/.test(
        name,
      ),
  ],
  [
    "OpenSSL",
    (name, object) =>
      /libcrypto|libssl/.test(object) ||
      /^(sha\d|SHA\d|EVP_|evp_|OPENSSL_|ossl_|ENGINE_|CRYPTO_|HMAC)/.test(name),
  ],
  [
    "libc and libstdc++ (malloc, memcpy)",
    (name, object) => /\/libc[.-]|libstdc\+\+/.test(object) || /^(std::|operator (new|delete))/.test(name),
  ],
  ["Node's C++", (name, object) => /node::|simdutf|^uv_/.test(name) || /libuv/.test(object)],
  ["V8's other builtins and runtime", (name) => /^Builtins_|v8::/.test(name)],
];

/** The category of one function: generated code by its name in the perf map, the rest by symbol and binary. */
export function categoryOf(cost: FunctionCost, perf: PerfMap): { category: Category; name: string } {
  const name = cost.name;
  if (/^0x[0-9a-f]+/i.test(name)) {
    const jit = perf.nameAt(Number.parseInt(name, 16));
    // JavaScript functions at every tier; the rest (Builtin:, BytecodeHandler:, RegExp:) is V8's own code.
    // V8 names no WebAssembly function in the map: code it does not name is the store's engine, if PGlite's.
    if (jit === undefined) return { category: "unnamed generated code (WebAssembly: PGlite's engine)", name };
    if (!/^(JS|Script|Eval|LazyCompile|Function):/.test(jit))
      return { category: "V8's other builtins and runtime", name: jit };
    if (/ node:/.test(jit)) return { category: "Node's JavaScript", name: jit };
    if (/\/node_modules\//.test(jit)) return { category: "libraries' JavaScript (node_modules)", name: jit };
    return { category: "the server's own JavaScript", name: jit };
  }
  const rule = NATIVE_RULES.find(([, matches]) => matches(name, cost.object));
  return { category: rule ? rule[0] : "other", name };
}

/** Instructions a request: by category, and the server's own JavaScript function by function. */
export interface RequestProfile {
  perRequest: number;
  byCategory: Map<Category, number>;
  ownFunctions: { name: string; perRequest: number }[];
}

/** `counts` spread over `requests`, sorted into categories; the server's own functions named, costliest first. */
export function requestProfile(counts: CallgrindCounts, perf: PerfMap, requests: number): RequestProfile {
  const byCategory = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  const own = new Map<string, number>();
  for (const cost of counts.functions) {
    const { category, name } = categoryOf(cost, perf);
    byCategory.set(category, (byCategory.get(category) ?? 0) + cost.instructions / requests);
    if (category === "the server's own JavaScript")
      own.set(name, (own.get(name) ?? 0) + cost.instructions / requests);
  }
  return {
    perRequest: counts.total / requests,
    byCategory,
    ownFunctions: [...own]
      .map(([name, perRequest]) => ({ name: shortName(name), perRequest }))
      .sort((a, b) => b.perRequest - a.perRequest),
  };
}

/** "JS:*readHttp file:///…/dist/authz/check-request-reader.js:168:18" → "readHttp (authz/check-request-reader.js)". */
export function shortName(jitName: string): string {
  const m = /^\S+:[*^~+]?(\S*) (?:file:\/\/)?(\S+?)(?::\d+:\d+)?$/.exec(jitName);
  if (!m) return jitName;
  const [, fn, file = ""] = m;
  const where = file.replace(/^.*\/(dist|bench|src)\//, "");
  return `${fn || "(anonymous)"} (${where})`;
}
