import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * How fast the host lets this machine run right now. On a shared virtual machine the same server can make
 * half its usual throughput in a slow hour while the load average stays low, so the report says how long a
 * fixed piece of work took and how much of the CPUs' time the hypervisor gave to others ("steal").
 */

/** Not Keyward's work: one pass over 64 KB of numbers, timed to show the machine's speed. */
const REFERENCE = new Float64Array(8192).map((_, i) => i);
export function sumReference(): number {
  let sum = 0;
  for (let i = 0; i < REFERENCE.length; i++) sum += REFERENCE[i] as number;
  return sum;
}

/** Passes per timing, and timings of which the median is kept. */
const PASSES = 2000;
const TIMINGS = 5;

/** Milliseconds for 2,000 passes over the reference, the median of five timings after one to warm up. */
export function referenceMs(): number {
  const times: number[] = [];
  let sink = 0;
  for (let t = -1; t < TIMINGS; t++) {
    const t0 = performance.now();
    for (let i = 0; i < PASSES; i++) sink += sumReference();
    if (t >= 0) times.push(performance.now() - t0);
  }
  if (sink < 0) throw new Error("unreachable: keeps the passes from being optimised away");
  times.sort((a, b) => a - b);
  return times[Math.floor(TIMINGS / 2)] as number;
}

const PROBE = fileURLToPath(new URL("./host-speed-probe.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** `referenceMs()` in a fresh process (node with tsx, as the bench runs) that loads nothing else. */
export function referenceMsAlone(): number {
  const out = execFileSync(process.execPath, ["--import", "tsx", PROBE], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  const ms = Number(out.trim());
  if (!Number.isFinite(ms)) throw new Error(`host speed probe printed ${JSON.stringify(out)}`);
  return ms;
}

/** The whole machine's CPU time so far, in clock ticks: all of it, and the part stolen by the hypervisor. */
export interface CpuTimes {
  total: number;
  steal: number;
}

/** The aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal …), or null. */
export function parseCpuTimes(procStat: string): CpuTimes | null {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  const ticks = line?.trim().split(/\s+/).slice(1).map(Number);
  if (!ticks || ticks.length < 8 || ticks.some((n) => !Number.isFinite(n))) return null;
  // guest and guest_nice (9th and 10th) are already counted in user and nice.
  const counted = ticks.slice(0, 8);
  return { total: counted.reduce((a, b) => a + b, 0), steal: counted[7] as number };
}

/** Now, from /proc/stat; null where there is none (not Linux). */
export function cpuTimes(): CpuTimes | null {
  try {
    return parseCpuTimes(readFileSync("/proc/stat", "utf8"));
  } catch {
    return null;
  }
}

/** The share of CPU time stolen between two readings, 0–1; null when unknown or no time passed. */
export function stolenShare(before: CpuTimes | null, after: CpuTimes | null): number | null {
  if (!before || !after || after.total <= before.total) return null;
  return (after.steal - before.steal) / (after.total - before.total);
}

/** Above this share of stolen time the report calls the host busy. */
const BUSY_STEAL = 0.05;

/**
 * One line for the report: the reference's time, and the share of CPU time stolen since `since` when
 * given and known. `when` says which reading it is.
 */
export function hostSpeed(when: string, since?: CpuTimes | null): string {
  const parts = [`reference loop ${referenceMsAlone().toFixed(1)} ms`];
  const stolen = since === undefined ? null : stolenShare(since, cpuTimes());
  if (stolen !== null) {
    const busy = stolen > BUSY_STEAL ? " (busy host: figures are noisy)" : "";
    parts.push(`${(stolen * 100).toFixed(1)}% of CPU time stolen by the host since the start${busy}`);
  }
  return `host speed ${when}: ${parts.join("; ")}`;
}
