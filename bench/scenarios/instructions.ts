import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import type { BareServerInfo } from "../bare-server.js";
import { type CountSpec, callgrindLauncher, countRequests, ensureValgrind } from "../callgrind.js";
import { CATEGORIES, type Category, type RequestProfile, requestProfile } from "../callgrind-profile.js";
import { benchCheckRequest, writeRequestBody } from "../check-request.js";
import { checkUrl } from "../check-targets.js";
import { grpcCheck, notAllowed } from "../grpc-check.js";
import type { KeywardServerInfo } from "../keyward-server.js";
import type { Report } from "../report.js";
import type { BenchContext, Scenario } from "../scenario.js";
import type { TransportServerInfo } from "../transport-server.js";

/** Throughput is held at this share of bare's when Keyward runs at most 1 / 0.8 = 1.25x its instructions. */
const THROUGHPUT_TARGET = 0.8;

/** Requests of warm-up after which V8 has optimised the servers' hot paths (fewer only for a smoke run). */
const FULL_WARMUP = 30_000;

/** How far a count lies past the budget, in words. */
const beyond = (over: number) => (over > 0 ? `runs ${k(over)}k more` : `stays ${k(-over)}k under it`);

/** Thousands, one decimal. */
const k = (n: number) => (n / 1000).toFixed(1);

/**
 * Keyward, bare and the transport counted with callgrind, one after another: instructions per request,
 * split into what runs them. Unlike requests a second, the count does not move with the machine's speed or
 * its neighbours, so it shows where Keyward's cost over bare lies and how far it is from the throughput target.
 */
export const instructions: Scenario = {
  id: "instructions",
  title: "instructions per request under callgrind: bare, transport, Keyward",
  async run(ctx) {
    ensureValgrind();
    const { settings } = ctx;
    const spec: CountSpec = {
      warmup: settings.quick ? 5_000 : FULL_WARMUP,
      counted: settings.quick ? 5_000 : 20_000,
      clients: settings.clients,
      streams: settings.streams,
    };
    const keyward = await counted(
      ctx,
      "keyward",
      "./keyward-server.ts",
      spec,
      async (info: KeywardServerInfo, dir) => {
        const request = benchCheckRequest(info.secret);
        const why = notAllowed(await grpcCheck(info.authzPort, request, 120_000));
        if (why) throw new Error(`keyward under callgrind does not ALLOW the bench request (${why})`);
        return { port: info.authzPort, bodyFile: writeRequestBody(request, dir).file };
      },
      settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {},
    );
    // Bare and the transport take the request Keyward was counted on, byte for byte.
    const sameBody = async (info: { authzPort: number }) => ({
      port: info.authzPort,
      bodyFile: keyward.bodyFile,
    });
    const bare = await counted<BareServerInfo>(ctx, "bare", "./bare-server.ts", spec, sameBody);
    const transport = await counted<TransportServerInfo>(
      ctx,
      "transport",
      "./transport-server.ts",
      spec,
      sameBody,
    );
    return report(this.title, spec, settings.databaseUrl ? "postgresql" : "pglite", {
      bare: bare.profile,
      transport: transport.profile,
      keyward: keyward.profile,
    });
  },
};

/** Starts one server under callgrind, counts its requests and stops it. */
async function counted<Info>(
  ctx: BenchContext,
  name: string,
  entry: string,
  spec: CountSpec,
  target: (info: Info, dir: string) => Promise<{ port: number; bodyFile: string }>,
  options: unknown = {},
): Promise<{ profile: RequestProfile; bodyFile: string }> {
  const dir = mkdtempSync(join(ctx.tmpDir, `callgrind-${name}-`));
  const outFile = join(dir, "callgrind.out");
  const server = await ctx.startChild<Info>(
    `${name} (callgrind)`,
    entry,
    options,
    callgrindLauncher(outFile),
  );
  try {
    const { port, bodyFile } = await target(server.info, dir);
    const window = await countRequests(server, outFile, { url: checkUrl(port), bodyFile }, spec);
    return { profile: requestProfile(window.counts, window.perf, spec.counted), bodyFile };
  } finally {
    await server.stop();
  }
}

/**
 * What lands in a window in lumps, not a little every request: a mark-compact, a function optimised again,
 * PGlite's engine flushing the usage counts (once a second, which under valgrind is every few hundred
 * requests).
 */
const LUMPY: readonly Category[] = [
  "V8's garbage collector",
  "V8's compilers",
  "unnamed generated code (WebAssembly: PGlite's engine)",
];

/** A profile's count a request, all of it or leaving out the lumpy parts. */
function perRequest(profile: RequestProfile, steady: boolean): number {
  if (!steady) return profile.perRequest;
  return LUMPY.reduce((n, category) => n - (profile.byCategory.get(category) ?? 0), profile.perRequest);
}

function report(
  title: string,
  spec: CountSpec,
  store: "pglite" | "postgresql",
  p: { bare: RequestProfile; transport: RequestProfile; keyward: RequestProfile },
): Report {
  const row = (label: string, counts: number[]) => {
    const [b = 0, t = 0, kw = 0] = counts;
    return [label, k(b), k(t), k(kw), `${kw >= b ? "+" : ""}${k(kw - b)}`];
  };
  const servers = [p.bare, p.transport, p.keyward];
  const rows = [
    ...CATEGORIES.map((category) =>
      row(
        category,
        servers.map((x) => x.byCategory.get(category) ?? 0),
      ),
    ),
    row(
      "all",
      servers.map((x) => perRequest(x, false)),
    ),
    row(
      "all but the collector, the compilers and PGlite's engine",
      servers.map((x) => perRequest(x, true)),
    ),
  ];
  const budgetNote = (steady: boolean, label: string) => {
    const [b, t, kw] = servers.map((x) => perRequest(x, steady)) as [number, number, number];
    const budget = b / THROUGHPUT_TARGET;
    return `${label}: keyward / bare ${(kw / b).toFixed(2)}x, transport / bare ${(t / b).toFixed(2)}x, keyward / transport ${(kw / t).toFixed(2)}x; ${THROUGHPUT_TARGET}x bare's throughput allows ${k(budget)}k a request, keyward ${beyond(kw - budget)}, the transport with a constant answer ${beyond(t - budget)}`;
  };
  const own = p.keyward.ownFunctions.slice(0, 10).map((f) => `${f.name} ${k(f.perRequest)}`);
  return {
    title,
    params: [
      [
        "requests",
        `${spec.counted.toLocaleString("en-US")} counted after ${spec.warmup.toLocaleString("en-US")} to warm up, h2load -c ${spec.clients} -m ${spec.streams}`,
      ],
      ["unit", "thousands of instructions a request, every thread of the server's process"],
    ],
    columns: ["part", "bare", "transport", "keyward", "keyward − bare"],
    rows,
    notes: [
      budgetNote(false, "all"),
      budgetNote(true, "but the collector, the compilers and PGlite's engine"),
      `keyward's own JavaScript, costliest first (thousands): ${own.join(", ")}`,
      "the collector and the compilers work in lumps (a mark-compact in the window adds 15-30k a request, partly to libc's and the runtime's rows) and, under valgrind's fiftyfold slowdown, weigh more than at full speed; the row without them is the steadier comparison",
      ...(spec.warmup < FULL_WARMUP
        ? [
            `a warm-up of ${spec.warmup.toLocaleString("en-US")} leaves V8 still optimising the servers' code: these counts only show that the scenario runs`,
          ]
        : []),
      ...(store === "pglite"
        ? [
            "PGlite's engine runs in a worker thread of Keyward's process, and its work (its own collector, compilers, runtime and libc calls) is counted with Keyward's; KEYWARD_BENCH_DATABASE_URL gives the steadier count",
          ]
        : []),
    ],
    problems: [],
  };
}
