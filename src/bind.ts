/**
 * `bind`: a function bound to the values current when it was bound, or an
 * emitter whose listeners are (docs/semantics.md, S11).
 *
 * @module
 */
import { expected } from './checks.ts';
import { copyContext } from './context.ts';
import { bindListeners, type EventEmitterLike, isEmitter } from './emitter.ts';

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
export function bind<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
/**
 * Binds an emitter (docs/semantics.md, S11): every listener added to it from
 * now on runs with the values current when it was added, as if passed
 * through `bind(fn)` then. Returns the emitter. Works for Node's
 * `EventEmitter` (`on`, `once`, `prependListener`, ...; `off` and
 * `removeListener` with the original function still remove it) and for an
 * `EventTarget`. Binding an emitter twice changes nothing.
 *
 * @throws {TypeError} when `emitter` is neither a function nor an emitter.
 *
 * @example
 * ```ts
 * createServer((req, res) => {
 *   requestId.set(String(req.headers['x-request-id']));
 *   bind(req).on('end', () => res.end(requestId.get())); // this request's id, not the socket's
 *   req.resume();
 * });
 * ```
 */
export function bind<E extends EventEmitterLike | EventTarget>(emitter: E): E;
export function bind(target: unknown): unknown {
  if (typeof target !== 'function') {
    if (!isEmitter(target)) {
      throw expected('bind', 'a function or an emitter', target);
    }
    return bindListeners(target, BOUND, (listener) => bind(listener));
  }
  const fn = target as (...args: unknown[]) => unknown;
  const template = copyContext();
  return function bound(this: unknown, ...args: unknown[]): unknown {
    return template.copy().run(() => fn.apply(this, args));
  };
}

/** Marks an emitter `bind` has patched. */
const BOUND: unique symbol = Symbol('contextvars.bind');
