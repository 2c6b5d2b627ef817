/**
 * The one source of randomness in the tests: a seeded generator (mulberry32,
 * in tools/random.ts, which the benchmarks share),
 * so that a run replays exactly. The seed is TEST_SEED from the environment,
 * or a fixed default; a test written with seeded() names the seed when it
 * fails, so `TEST_SEED=<seed> node scripts/test.mjs <file>` replays it.
 */

import { type Random, seededRandom } from '../../tools/random.ts';

export { type Random, seededRandom };

const DEFAULT_SEED = 0x5eed;

function readSeed(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new TypeError(`TEST_SEED must be an integer, got '${text}'`);
  return seed;
}

/** The seed of this run: TEST_SEED, else 0x5eed (24301). */
export const TEST_SEED: number = readSeed(process.env['TEST_SEED']);

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
