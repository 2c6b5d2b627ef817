/**
 * The one source of randomness in the tests: a seeded generator (mulberry32),
 * so that a run replays exactly. The seed is TEST_SEED from the environment,
 * or a fixed default; a test written with seeded() names the seed when it
 * fails, so `TEST_SEED=<seed> node scripts/test.mjs <file>` replays it.
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

const DEFAULT_SEED = 0x5eed;

function readSeed(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`TEST_SEED must be an integer, got '${text}'`);
  return seed;
}

/** The seed of this run: TEST_SEED, else 0x5eed (24301). */
export const TEST_SEED: number = readSeed(process.env['TEST_SEED']);

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

/**
 * A test body given its own generator, started from TEST_SEED; when the body
 * fails, the failure names the seed (its cause is the body's error). The result takes no declared
 * parameter, so every runner (node:test, Bun, Deno) calls it the same way.
 */
export function seeded(body: (random: Random) => unknown): () => Promise<void> {
  return async () => {
    try {
      await body(seededRandom(TEST_SEED));
    } catch (error) {
      throw new Error(`failed with TEST_SEED=${TEST_SEED}: set it to replay this run`, { cause: error });
    }
  };
}
