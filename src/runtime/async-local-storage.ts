import type * as AsyncHooks from 'node:async_hooks';
import type { ScopeStorage } from './index.ts';

type AsyncHooksModule = typeof AsyncHooks;
type Resource = Record<symbol, unknown>;

/**
 * What the runtime lacks for asynchronous propagation, named so that the
 * fallback warning can tell the user what to upgrade.
 */
export interface MissingPrimitive {
  readonly missing: string;
}

/**
 * Loads node:async_hooks without a top-level import, so the same bundle runs
 * in browsers (no module) and in Node, Bun and Deno (`getBuiltinModule`).
 */
function loadAsyncHooks(): AsyncHooksModule | MissingPrimitive {
  const { process } = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  if (typeof process?.getBuiltinModule !== 'function') {
    return { missing: 'process.getBuiltinModule' };
  }
  try {
    const hooks = process.getBuiltinModule('node:async_hooks') as AsyncHooksModule | undefined;
    return hooks ?? { missing: 'node:async_hooks' };
  } catch {
    return { missing: 'node:async_hooks' };
  }
}

/** Storage on one AsyncLocalStorage, or what the runtime lacks to build it. */
export function createAsyncLocalStorage(): ScopeStorage | MissingPrimitive {
  const hooks = loadAsyncHooks();
  if ('missing' in hooks) return hooks;
  if (typeof hooks.AsyncLocalStorage !== 'function') return { missing: 'AsyncLocalStorage' };
  const als = new hooks.AsyncLocalStorage<object>();
  if (typeof als.enterWith !== 'function' || typeof als.run !== 'function') {
    return { missing: 'AsyncLocalStorage enterWith and run' };
  }

  // Node 20 and 22 keep the store on the execution resource under this key.
  const resourceStore: unknown = (als as unknown as { kResourceStore?: unknown }).kResourceStore;
  if (typeof resourceStore === 'symbol' && typeof hooks.executionAsyncResource === 'function') {
    return callbackScopedStorage(als, resourceStore, hooks.executionAsyncResource);
  }
  return {
    kind: 'async-context-frame',
    current: () => als.getStore(),
    enter: (scope) => als.enterWith(scope),
    run: (scope, fn, args) => als.run(scope, fn, ...args),
  };
}

/**
 * On async_hooks, `enterWith` writes the store onto the running callback's
 * resource, and a resource that calls back many times (a server handle, a
 * socket, `setInterval`) would start its next callback with the store the
 * previous one entered: one request's values would reach the next. Node
 * drains microtasks between any two such callbacks, so a microtask queued at
 * the first `enter` of a callback puts the resource's previous store back.
 * Promise continuations run once and need no repair; our own `run` restores
 * the resource's store itself.
 */
function callbackScopedStorage(
  als: AsyncHooks.AsyncLocalStorage<object>,
  resourceStore: symbol,
  executionAsyncResource: () => object,
): ScopeStorage {
  // Resources entered outside `run` since the last drain, with their earlier store.
  const displaced = new Map<Resource, unknown>();
  // The resource whose store the innermost running `run` will restore.
  let runResource: object | undefined;
  // Whether `als` has installed its async hooks (its first enterWith does; nothing disables them).
  let enabled = false;

  function restoreDisplaced(): void {
    for (const [resource, earlier] of displaced) resource[resourceStore] = earlier;
    displaced.clear();
  }

  return {
    kind: 'async-hooks',
    current: () => als.getStore(),
    enter(scope) {
      const resource = executionAsyncResource() as Resource;
      if (resource !== runResource && !(resource instanceof Promise) && !displaced.has(resource)) {
        if (displaced.size === 0) queueMicrotask(restoreDisplaced);
        displaced.set(resource, resource[resourceStore]);
      }
      als.enterWith(scope);
    },
    // What `als.run` does, without its second and third executionAsyncResource()
    // and its rest/spread of the arguments: write the store onto the running
    // resource, restore it after (halves the cost of Context.run on Node 20).
    run(scope, fn, args) {
      const resource = executionAsyncResource() as Resource;
      const outerStore = resource[resourceStore];
      const outerRun = runResource;
      runResource = resource;
      if (enabled) {
        resource[resourceStore] = scope;
      } else {
        als.enterWith(scope); // enables the store's async hooks
        enabled = true;
      }
      try {
        return args.length === 0 ? (fn as () => ReturnType<typeof fn>)() : fn(...args);
      } finally {
        resource[resourceStore] = outerStore;
        runResource = outerRun;
      }
    },
  };
}
