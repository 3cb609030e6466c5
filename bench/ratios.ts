/** Ratios measured round by round: their median and the lowest and highest. */
export interface RatioSpread {
  median: number;
  low: number;
  high: number;
  rounds: number;
}

/**
 * `a / b` of each round, summarised. Two servers measured back to back in one round see the same machine;
 * the machine's speed drifts by a fifth or more between rounds a minute apart, which a ratio of each
 * server's best round (taken in different rounds) would carry into the figure.
 */
export function pairedRatio(pairs: readonly { a: number; b: number }[]): RatioSpread {
  const ratios = pairs.filter((p) => p.b > 0).map((p) => p.a / p.b);
  if (ratios.length === 0) throw new Error("no rounds to compare");
  return {
    median: median(ratios),
    low: Math.min(...ratios),
    high: Math.max(...ratios),
    rounds: ratios.length,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
