import { performance } from "node:perf_hooks";
import type { TrafficRecorder } from "../dist/usage/traffic-recorder.js";
import { median } from "./ratios.js";

/** What one usage flush of `keys` keys' traffic cost: the Check thread's busy time, and the whole round trip. */
export interface FlushCost {
  keys: number;
  busyMs: number;
  wallMs: number;
}

/** Between flushes, as between the server's own (one a second), the flush's code grows cold again. */
const GAP_MS = 50;

/**
 * Times usage flushes inside Keyward's process. Before each, every one of `keys` keys records five Checks
 * (one endpoint, one source address); the flush then writes its usage, endpoint, audit and last-use rows. The
 * busy time is the event loop's active time while the flush runs (`eventLoopUtilization`): the time Checks
 * arriving meanwhile would wait, on the one thread that answers them. Keys other than the first are made-up
 * ids, which no key row matches: the thread's work is the same, only the database's differs.
 */
export async function measureFlushCost(
  traffic: TrafficRecorder,
  keyId: string,
  keys: number,
  flushes: number,
): Promise<FlushCost> {
  // The first flushes, which load and compile the code, are not counted.
  const warmUp = Math.ceil(flushes / 8);
  const busy: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < flushes; i++) {
    for (let k = 0; k < keys; k++) {
      const id = k === 0 ? keyId : `key_flush_bench_${k}`;
      for (let n = 0; n < 5; n++)
        traffic.recordCheck(
          "allow",
          id,
          "acme",
          "GET",
          "/companies/acme/candidates",
          "203.0.113.7",
          Date.now(),
        );
    }
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    const before = performance.eventLoopUtilization();
    const started = performance.now();
    await traffic.flush();
    const used = performance.eventLoopUtilization(before);
    if (i < warmUp) continue;
    busy.push(used.active);
    wall.push(performance.now() - started);
  }
  return { keys, busyMs: median(busy), wallMs: median(wall) };
}
