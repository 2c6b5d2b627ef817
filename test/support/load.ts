/**
 * Concurrent load for request-isolation tests: `count` requests started at
 * once, each checked by the test; what comes back is the list of the ones
 * whose answer was wrong, so a test asserts it is empty (0 mismatches) and
 * a failure shows which requests saw what.
 */

/** Runs `check(i)` for i in [0, count) concurrently; returns the messages of those that returned one. */
export async function mismatches(count: number, check: (i: number) => Promise<string | undefined>): Promise<string[]> {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => check(i)));
  return results.filter((result): result is string => result !== undefined);
}

/** A promise with its resolve function, for ordering a test by events. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

/** A new {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
