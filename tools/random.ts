/**
 * The seeded generator (mulberry32) that the tests (test/support/random.ts,
 * which adds the seed from TEST_SEED) and the benchmarks (their shuffled
 * round orders) draw from, so that a run replays exactly.
 */

/** A generator of numbers in [0, 1), with the few shapes the tests draw. */
export interface Random {
  (): number;
  /** A number in [low, high). */
  between(low: number, high: number): number;
  /** An integer in [low, high], both included. */
  int(low: number, high: number): number;
  /** One of `items`, which must not be empty. */
  pick<T>(items: readonly T[]): T;
}

/** A generator started from `seed` (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed | 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    between: (low: number, high: number): number => low + next() * (high - low),
    int: (low: number, high: number): number => low + Math.floor(next() * (high - low + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  });
}
