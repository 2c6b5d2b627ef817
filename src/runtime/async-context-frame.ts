/**
 * The strategy for AsyncLocalStorage on the runtime's own frames (Node 24+,
 * Bun, Deno), where `enterWith` lasts until the end of the current callback
 * (Deno has exceptions: docs/runtimes.md).
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks';
import type { ScopeStorage } from './storage.ts';

/**
 * Storage on `als` where the runtime keeps its store in AsyncContextFrames.
 * A run is what `als.run` does: `enterWith` its scope, and `enterWith` the
 * caller's again when it returns or throws.
 */
export function createAsyncContextFrameStorage(als: AsyncHooks.AsyncLocalStorage<object>): ScopeStorage {
  // The stores current before each open run, innermost last.
  const runs: (object | undefined)[] = [];
  return {
    kind: 'async-context-frame',
    current: () => als.getStore(),
    enter: (scope) => als.enterWith(scope),
    open(scope) {
      const mark = runs.length;
      runs.push(als.getStore());
      als.enterWith(scope);
      return mark;
    },
    close(mark) {
      let store = runs.pop();
      while (runs.length > mark) store = runs.pop();
      als.enterWith(store as object);
    },
  };
}
