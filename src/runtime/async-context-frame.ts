/**
 * The strategy for AsyncLocalStorage on the runtime's own frames (Node 24+,
 * Bun, Deno), where `enterWith` lasts until the end of the current callback
 * (Deno has exceptions: docs/runtimes.md).
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks';
import type { ScopeStorage } from './storage.ts';

/** Storage on `als` where the runtime keeps its store in AsyncContextFrames. */
export function createAsyncContextFrameStorage(
  als: AsyncHooks.AsyncLocalStorage<object>,
  hooks: typeof AsyncHooks,
): ScopeStorage {
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
 * frame back when fn returns or throws, so a run builds one frame (faster
 * than `als.run` on Node 24 and 26; docs/performance.md has the rows).
 * Inside fn `executionAsyncId()` is that resource's, as in any
 * `runInAsyncScope`. Node only (Bun's and Deno's resources cost more than
 * their `als.run`), and only where a probe shows that fn
 * sees its scope and the caller's is back after a throw; otherwise `als.run`
 * (through `call`: the runtime's run calls its callback with `this` null,
 * and fn must see undefined, as a plain call gives).
 */
function frameRestoringRun(als: AsyncHooks.AsyncLocalStorage<object>, hooks: typeof AsyncHooks): Run | undefined {
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
