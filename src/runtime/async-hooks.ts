/**
 * The strategy for AsyncLocalStorage built on async_hooks (Node 20, 22),
 * where `enterWith` would outlive the callback: the first `enter` of a
 * callback remembers its resource's store and puts it back when the
 * callback ends.
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks';
import type { ScopeStorage } from './storage.ts';

type Resource = Record<symbol, unknown>;

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
 * The hooks are enabled at the first such `enter` and stay on: enabling costs
 * microseconds, and Node already runs a promise `after` step for every
 * reaction once AsyncLocalStorage is in use (docs/performance.md measures it).
 */
export function createAsyncHooksStorage(
  als: AsyncHooks.AsyncLocalStorage<object>,
  resourceStore: symbol,
  hooks: typeof AsyncHooks,
): ScopeStorage {
  const { executionAsyncResource } = hooks;
  const boundary = callbackBoundary(resourceStore, hooks);
  // The resource whose store the innermost open `run` will restore.
  let runResource: object | undefined;
  // The open runs, three slots each: the resource, its store before, the runResource before.
  const runs: unknown[] = [];
  // Whether `als` has installed its async hooks (its first enterWith does; nothing disables them).
  let enabled = false;

  /** Makes `scope` the store of the running callback's `resource`: the one place the storage writes it. */
  function write(resource: Resource, scope: object): void {
    if (enabled) {
      resource[resourceStore] = scope;
    } else {
      als.enterWith(scope); // enables the store's async hooks
      enabled = true;
    }
  }

  return {
    kind: 'async-hooks',
    current: () => als.getStore(),
    enter(scope) {
      const resource = executionAsyncResource() as Resource;
      if (resource !== runResource && !(resource instanceof Promise)) boundary.displace(resource);
      write(resource, scope);
    },
    // What `als.run` does around its call: write the store onto the running
    // resource, put the old one back after.
    open(scope) {
      const resource = executionAsyncResource() as Resource;
      const mark = runs.length;
      runs.push(resource, resource[resourceStore], runResource);
      runResource = resource;
      write(resource, scope);
      return mark;
    },
    close(mark) {
      while (runs.length > mark) {
        runResource = runs.pop() as object | undefined;
        const store = runs.pop();
        (runs.pop() as Resource)[resourceStore] = store;
      }
    },
  };
}

/** What a resource's store was before its running callback first entered one. */
interface Displaced {
  readonly earlier: unknown;
  readonly asyncId: number;
}

/**
 * The S7 boundary: `displace` remembers a resource's store the first time
 * its running callback enters one, and the store is put back when that
 * callback ends (its `after`, or the next microtask drain for frames no
 * `after` closes); a call of the same resource inside that callback starts
 * from the remembered store and gives the outer call its own back (`before`).
 * The only other place that writes a resource's store is the storage's run.
 */
function callbackBoundary(resourceStore: symbol, hooks: typeof AsyncHooks): { displace(resource: Resource): void } {
  const { executionAsyncId } = hooks;
  // The resource whose callback entered a store and has not ended (one slot:
  // callbacks rarely nest; the nested ones go to `nested`).
  let displaced: Resource | undefined;
  let displacedStore: unknown;
  let displacedId = 0;
  const nested = new Map<Resource, Displaced>();
  // Calls of a displaced resource made while its callback runs, innermost last, each with the store the call it interrupted had.
  const reentered: { readonly asyncId: number; readonly resource: Resource; readonly outer: unknown }[] = [];
  // Two hooks: every callback's end, once anything was displaced; and its
  // start, only once an AsyncResource was (its runInAsyncScope is how a
  // resource calls back inside its own callback; a timer, a promise or a
  // native handle never does). A `before` on every callback costs a
  // setImmediate chain about a tenth more (docs/performance.md).
  const ends = hooks.createHook({ after: restoreAfter });
  const starts = hooks.createHook({ before: reenter });
  let watching = false;
  let watchingStarts = false;

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

  return {
    displace(resource) {
      if (resource === displaced || (nested.size !== 0 && nested.has(resource))) return;
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
        ends.enable();
        watching = true;
      }
      if (!watchingStarts && resource instanceof hooks.AsyncResource) {
        starts.enable();
        watchingStarts = true;
      }
    },
  };
}
