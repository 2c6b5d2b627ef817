/**
 * gather (asyncio's `gather`): functions run as tasks, promises awaited as
 * they are, results in argument order.
 *
 * @module
 */
import { createTask } from './task.ts';

/**
 * What {@link gather} accepts: a function to run as a task, or something already awaitable.
 *
 * @example
 * ```ts
 * const items: Gatherable[] = [() => loadUser(1), fetch(url)];
 * ```
 */
export type Gatherable = (() => unknown) | PromiseLike<unknown>;

/**
 * The results of {@link gather}, in argument order: a function's awaited
 * return value, a promise's awaited value.
 *
 * @example
 * ```ts
 * type Results = GatherResults<[() => Promise<number>, Promise<string>]>; // [number, string]
 * ```
 */
export type GatherResults<F extends readonly Gatherable[]> = {
  -readonly [K in keyof F]: F[K] extends () => infer R ? Awaited<R> : Awaited<F[K]>;
};

/**
 * Runs each function as its own {@link Task} and resolves to their results
 * in order, or rejects with the first failure (Python's `asyncio.gather`).
 * Promises are awaited as they are.
 *
 * @example
 * ```ts
 * const v = new ContextVar('v', { default: 0 });
 * const results = await gather(
 *   async () => { v.set(1); await sleep(2); return v.get(); },
 *   async () => { v.set(2); await sleep(1); return v.get(); },
 * );
 * // results: [1, 2]; v.get() here: 0
 * ```
 */
export function gather<const F extends readonly Gatherable[]>(...items: F): Promise<GatherResults<F>> {
  const running = items.map((item) => (typeof item === 'function' ? createTask(item as () => unknown) : item));
  return Promise.all(running) as Promise<GatherResults<F>>;
}
