/**
 * A small deterministic generator (xorshift32) for generated test inputs: a failure names a seed, and the
 * same seed gives the same inputs again.
 */
export function seededRandom(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (n: number) => next() % n;
  return {
    /** A whole number from 0 to n - 1. */
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T,
    /** True with probability p. */
    chance: (p: number) => next() / 2 ** 32 < p,
  };
}

export type SeededRandom = ReturnType<typeof seededRandom>;
