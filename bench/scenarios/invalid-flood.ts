import type { FloodResult } from "../flood-client.js";
import { keyLookups, outcomeDelta } from "../keyward-metrics.js";
import { measure, roundUp, warmUp } from "../measure.js";
import { ms, rate, ratio } from "../report.js";
import type { Scenario } from "../scenario.js";

/**
 * Valid traffic alone, then the same valid traffic while a second process floods Keyward with random keys
 * (half with broken checksums, half well formed but unknown, none repeated). Keyward's own counters show what
 * the flood cost in database queries: none for a broken checksum, one per unknown well-formed key.
 */
export const invalidFlood: Scenario = {
  id: "invalid-flood",
  title: "valid traffic beside a flood of random invalid keys",
  async run(ctx) {
    const { settings } = ctx;
    const { keyward } = await ctx.checkTargets();
    const adminPort = keyward.adminPort as number;
    const warm = await warmUp(ctx, keyward);
    const runSec = settings.quick ? 2.5 : 6;
    const requests = roundUp(Math.max(settings.minRequests, Math.floor(warm * runSec)), settings.clients);
    const alone = await measure(ctx, keyward, { requests, expectedSec: requests / Math.max(1, warm) });

    const flooder = await ctx.startChild<{ ready: true }>("flood", "./flood-client.ts", {});
    const before = await keyLookups(adminPort);
    const floodSec = (requests / Math.max(1, alone.reqPerSec)) * 3 + 2;
    const flooding = flooder.call<FloodResult>(
      "flood",
      { port: Number(new URL(keyward.url).port), seconds: floodSec, concurrency: 32 },
      (floodSec + 30) * 1000,
    );
    const beside = await measure(ctx, keyward, {
      requests,
      expectedSec: (requests / Math.max(1, alone.reqPerSec)) * 3,
      alongside: true,
    });
    const flood = await flooding;
    const lookups = outcomeDelta(before, await keyLookups(adminPort));
    const queries = lookups.query ?? 0;
    const problems = [alone.problem, beside.problem].filter((p): p is string => p !== null);
    // The valid key misses the cache only when its entry's TTL runs out mid-run; the requests in flight then
    // share one query, so its misses bound its queries from above.
    const validMisses = Math.max(0, requests - (lookups.hit ?? 0));
    if (queries > flood.unknownWellFormed + validMisses) {
      problems.push(
        `${queries} database queries for ${flood.unknownWellFormed} unknown well-formed keys and ${validMisses} cache misses of the valid key`,
      );
    }
    if ((lookups.malformed ?? 0) < flood.badChecksum) {
      problems.push(`${lookups.malformed ?? 0} offline refusals for ${flood.badChecksum} broken checksums`);
    }
    return {
      title: this.title,
      params: [
        ["n", String(requests)],
        ["c", String(settings.clients)],
        ["m", String(settings.streams)],
        ["flood", "1 process, 32 concurrent streams, every key different"],
      ],
      columns: ["valid traffic", "req/s", "p50 ms", "p99 ms"],
      rows: [
        ["alone", rate(alone.reqPerSec), ms(alone.latency?.p50), ms(alone.latency?.p99)],
        ["beside the flood", rate(beside.reqPerSec), ms(beside.latency?.p50), ms(beside.latency?.p99)],
      ],
      notes: [
        `valid throughput beside the flood: ${ratio(beside.reqPerSec, alone.reqPerSec)} of alone`,
        `flood: ${flood.sent} requests in ${flood.seconds.toFixed(1)} s (${rate(flood.sent / flood.seconds)} req/s), ${flood.badChecksum} broken checksums, ${flood.unknownWellFormed} unknown well-formed keys`,
        `Keyward's lookups meanwhile: ${JSON.stringify(lookups)} — ${queries} database queries for ${flood.unknownWellFormed} unknown well-formed keys (one each until the flood's source spent its budget of unknown keys; ${lookups.throttled ?? 0} refused unread after that) and ${flood.badChecksum} broken checksums (none, all ${lookups.malformed ?? 0} refused offline)${validMisses > 0 ? `; the valid key missed the cache ${validMisses} time${validMisses === 1 ? "" : "s"} (its TTL ran out mid-run; requests in flight share one query)` : ""}`,
        "both share this machine's cores with the flood generator and h2load, so the drop includes that competition",
      ],
      problems,
    };
  },
};
