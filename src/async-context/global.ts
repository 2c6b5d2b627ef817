/**
 * contextvars/async-context/global: `import 'contextvars/async-context/global'`
 * defines `globalThis.AsyncContext` as the proposal defines the global
 * property (writable, configurable, not enumerable), unless the runtime
 * already has one, which is then left alone. Exports whichever
 * `AsyncContext` the global now holds.
 *
 * @example
 * ```ts
 * import 'contextvars/async-context/global';
 *
 * const user = new AsyncContext.Variable({ defaultValue: 'anonymous' });
 * ```
 *
 * @module contextvars/async-context/global
 */
import { AsyncContext as ours, type AsyncContextNamespace } from './index.ts';

declare global {
  /** TC39 AsyncContext: the runtime's own, or contextvars' (installed by `contextvars/async-context/global`). */
  // eslint-disable-next-line no-var -- a global property is declared with var
  var AsyncContext: AsyncContextNamespace;
}

type WithAsyncContext = { AsyncContext?: AsyncContextNamespace };

if ((globalThis as WithAsyncContext).AsyncContext === undefined) {
  Object.defineProperty(globalThis, 'AsyncContext', { value: ours, writable: true, configurable: true });
}

/** `globalThis.AsyncContext`: the runtime's own where it has one, else this library's. */
// biome-ignore lint/suspicious/noRedeclare: the exported value and its type share the spec's name, as the namespace does
export const AsyncContext: AsyncContextNamespace = (globalThis as WithAsyncContext).AsyncContext ?? ours;
