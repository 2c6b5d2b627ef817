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
  if (
    typeof resourceStore === 'symbol' &&
    typeof hooks.executionAsyncResource === 'function' &&
    typeof hooks.createHook === 'function'
  ) {
    return callbackScopedStorage(als, resourceStore, hooks);
  }
  const run = frameRestoringRun(als, hooks) ?? ((scope, fn, args) => als.run(scope, call, fn, args));
  return {
    kind: 'async-context-frame',
    current: () => als.getStore(),
    enter: (scope) => als.enterWith(scope),
    run,
    runDerived: (derive, a, b, fn, args) => run(derive(als.getStore(), a, b), fn, args),
  };
}

type Run = ScopeStorage['run'];

/**
 * On AsyncContextFrame runtimes `als.run` builds two frames (a copy of the
 * running frame's map each): one holding the store, and one to put the
 * caller's store back (`enterWith(prior)`). An AsyncResource made at the call
 * captures the running frame itself, and its `runInAsyncScope` puts that very
 * frame back when fn returns or throws, so a run builds one frame (Node 24
 * and 26: 0.76-0.88x of `als.run`). Inside fn `executionAsyncId()` is that
 * resource's, as in any `runInAsyncScope`. Node only (Bun's resource costs
 * 1.3-1.5x its `als.run`, Deno's 3.3x), and only where a probe shows that fn
 * sees its scope and the caller's is back after a throw; otherwise `als.run`
 * (through `call`: the runtime's run calls its callback with `this` null,
 * and fn must see undefined, as a plain call gives).
 */
function frameRestoringRun(als: AsyncHooks.AsyncLocalStorage<object>, hooks: AsyncHooksModule): Run | undefined {
  const { AsyncResource } = hooks;
  const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process?.versions;
  if (versions?.['bun'] !== undefined || versions?.['deno'] !== undefined) return undefined;
  if (typeof AsyncResource?.prototype?.runInAsyncScope !== 'function') return undefined;
  const enterAndCall = <A extends unknown[], R>(scope: object, fn: (...args: A) => R, args: A): R => {
    als.enterWith(scope);
    return call(fn, args);
  };
  const run: Run = (scope, fn, args) =>
    new AsyncResource('contextvars').runInAsyncScope(enterAndCall, undefined, scope, fn, args) as ReturnType<typeof fn>;
  const inner = {};
  let seen: unknown;
  const probe = (): void => {
    seen = als.getStore();
    throw inner;
  };
  try {
    // The caller's store in the probe is `run` itself (any object will do).
    return als.run(run, () => {
      try {
        run(inner, probe, []);
      } catch {}
      return seen === inner && als.getStore() === run ? run : undefined;
    });
  } catch {
    return undefined;
  }
}

/** Calls `fn(...args)` as a plain call: `this` is undefined in fn. */
function call<A extends unknown[], R>(fn: (...args: A) => R, args: A): R {
  return args.length === 0 ? (fn as () => R)() : fn(...args);
}

/**
 * On async_hooks, `enterWith` writes the store onto the running callback's
 * resource, and a resource that calls back many times (a server handle, a
 * socket, `setInterval`, a function bound with `AsyncResource.bind`) would
 * start its next callback with the store the previous one entered: one
 * request's values would reach the next. So the first `enter` of a callback
 * remembers the resource's earlier store and puts it back when that callback
 * ends: in an async_hooks `after` hook for the callback's async id, which
 * also holds when the runtime runs callbacks back to back without draining
 * microtasks between them (pipelined HTTP requests parsed from one chunk);
 * and, for frames no `after` closes (the main script, a callback that threw),
 * when microtasks next drain. Promise continuations run once and need no
 * repair; our own `run` restores the resource's store itself.
 *
 * A resource can also call back while its own callback runs (a function
 * bound with `AsyncResource.bind` that calls itself, an
 * `EventEmitterAsyncResource` emitting from its listener): the inner call
 * starts with the resource's own store, not the one the outer call entered,
 * and when it ends the outer call gets back what it had entered (a `before`
 * hook for the displaced callback's async id), as on AsyncContextFrame
 * runtimes, at any depth.
 *
 * The hook is enabled at the first such `enter` and stays on: enabling costs
 * microseconds, and Node already runs a promise `after` step for every
 * reaction once AsyncLocalStorage is in use (docs/performance.md measures it).
 */
function callbackScopedStorage(
  als: AsyncHooks.AsyncLocalStorage<object>,
  resourceStore: symbol,
  hooks: AsyncHooksModule,
): ScopeStorage {
  const { executionAsyncResource, executionAsyncId } = hooks;
  // The resource entered outside `run` whose callback has not ended, its earlier store and async id
  // (one slot: callbacks rarely nest; the nested ones go to `nested`).
  let displaced: Resource | undefined;
  let displacedStore: unknown;
  let displacedId = 0;
  const nested = new Map<Resource, { readonly earlier: unknown; readonly asyncId: number }>();
  // Calls of a displaced resource made while its callback runs, innermost last, each with the store the call it interrupted had.
  const reentered: { readonly asyncId: number; readonly resource: Resource; readonly outer: unknown }[] = [];
  // The resource whose store the innermost running `run` will restore.
  let runResource: object | undefined;
  // Whether `als` has installed its async hooks (its first enterWith does; nothing disables them).
  let enabled = false;
  const callbackEnd = hooks.createHook({ before: reenter, after: restoreAfter });
  let watching = false;

  /** A callback starts: when its resource is displaced, its callback is running already and this is a call inside it. */
  function reenter(asyncId: number): void {
    let resource: Resource | undefined;
    let earlier: unknown;
    if (displacedId === asyncId && displaced !== undefined) {
      resource = displaced;
      earlier = displacedStore;
    } else if (nested.size !== 0) {
      for (const [candidate, entry] of nested) {
        if (entry.asyncId !== asyncId) continue;
        resource = candidate;
        earlier = entry.earlier;
        break;
      }
    }
    if (resource === undefined) return;
    reentered.push({ asyncId, resource, outer: resource[resourceStore] });
    resource[resourceStore] = earlier;
  }

  function restoreAfter(asyncId: number): void {
    const inner = reentered.at(-1);
    if (inner !== undefined && inner.asyncId === asyncId) {
      inner.resource[resourceStore] = inner.outer;
      reentered.pop();
      return;
    }
    if (displacedId === asyncId && displaced !== undefined) {
      displaced[resourceStore] = displacedStore;
      displaced = displacedStore = undefined;
    }
    if (nested.size === 0) return;
    for (const [resource, entry] of nested) {
      if (entry.asyncId !== asyncId) continue;
      resource[resourceStore] = entry.earlier;
      nested.delete(resource);
    }
  }

  /** For frames no `after` ends (the main script, asyncId 1): when microtasks drain. */
  function restoreAll(): void {
    for (let inner = reentered.pop(); inner !== undefined; inner = reentered.pop()) {
      inner.resource[resourceStore] = inner.outer;
    }
    if (displaced !== undefined) restoreAfter(displacedId);
    for (const [resource, entry] of nested) resource[resourceStore] = entry.earlier;
    nested.clear();
  }

  function displace(resource: Resource): void {
    const asyncId = executionAsyncId();
    if (displaced === undefined) {
      displaced = resource;
      displacedStore = resource[resourceStore];
      displacedId = asyncId;
    } else {
      nested.set(resource, { earlier: resource[resourceStore], asyncId });
    }
    if (asyncId <= 1) queueMicrotask(restoreAll);
    if (!watching) {
      callbackEnd.enable();
      watching = true;
    }
  }

  return {
    kind: 'async-hooks',
    current: () => als.getStore(),
    enter(scope) {
      const resource = executionAsyncResource() as Resource;
      if (
        resource !== runResource &&
        resource !== displaced &&
        !(resource instanceof Promise) &&
        (nested.size === 0 || !nested.has(resource))
      ) {
        displace(resource);
      }
      if (enabled) {
        resource[resourceStore] = scope;
      } else {
        als.enterWith(scope); // enables the store's async hooks
        enabled = true;
      }
    },
    // What `als.run` does, without its second and third executionAsyncResource()
    // and its rest/spread of the arguments: write the store onto the running
    // resource, restore it after (halves the cost of Context.run on Node 20).
    run(scope, fn, args) {
      const resource = executionAsyncResource() as Resource;
      return runOn(resource, resource[resourceStore], scope, fn, args);
    },
    runDerived(derive, a, b, fn, args) {
      const resource = executionAsyncResource() as Resource;
      const outerStore = resource[resourceStore];
      return runOn(
        resource,
        outerStore,
        derive(enabled ? (outerStore as object | undefined) : undefined, a, b),
        fn,
        args,
      );
    },
  };

  function runOn<A extends unknown[], R>(
    resource: Resource,
    outerStore: unknown,
    scope: object,
    fn: (...args: A) => R,
    args: A,
  ): R {
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
  }
}
