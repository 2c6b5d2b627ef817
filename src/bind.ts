/**
 * `bind`: a function bound to the values current when it was bound.
 *
 * @module
 */
import { assertFunction } from './checks.ts';
import { copyContext } from './context.ts';

/**
 * Binds `fn` to the current snapshot: each call runs in a fresh copy of the
 * values current now, wherever and whenever it is called, and its changes do
 * not outlive the call. For event handlers and callbacks handed to code that
 * schedules them later.
 *
 * @example
 * ```ts
 * requestId.set('r-1');
 * const onDone = bind(() => log(requestId.get()));
 * requestId.set('r-2');
 * emitter.on('done', onDone); // logs 'r-1'
 * ```
 */
export function bind<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  assertFunction(fn, 'bind');
  const template = copyContext();
  return function bound(this: unknown, ...args: A): R {
    return template.copy().run(() => fn.apply(this, args));
  };
}
