/**
 * The strategy for AsyncLocalStorage on the runtime's own frames (Node 24+,
 * Bun, Deno), where `enterWith` lasts until the end of the current callback
 * (Deno has exceptions: docs/runtimes.md).
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks';
import type { ScopeStorage } from './storage.ts';

/** Runs a `quick` run takes while fewer than this many runs enclose the call. */
const SHALLOW_RUNS = 8;

/**
 * Storage on `als` where the runtime keeps its store in AsyncContextFrames.
 * A run bracketed by open/close is what `als.run` does: `enterWith` its
 * scope, and `enterWith` the caller's again when it returns or throws, two
 * frames. The `quick` run builds one: an AsyncResource made at the call
 * captures the running frame, and its `runInAsyncScope` puts that very
 * frame back when fn returns or throws (Node only, and only where a probe
 * shows it does; Bun's and Deno's resources cost more than their
 * `als.run`). It adds three frames between the caller and fn, so it serves
 * the outer runs only: deeper runs nest one frame each, as deep as
 * `als.run`. Inside a quick run `executionAsyncId()` is the resource's.
 */
export function createAsyncContextFrameStorage(
  als: AsyncHooks.AsyncLocalStorage<object>,
  hooks: typeof AsyncHooks,
): ScopeStorage {
  // The stores current before each open run, innermost last.
  const runs: (object | undefined)[] = [];
  // Quick runs on the stack.
  let quickRuns = 0;
  const enterAndCall = <A extends unknown[], R>(scope: object, fn: (...args: A) => R, args: A): R => {
    als.enterWith(scope);
    quickRuns++;
    try {
      return fn(...args);
    } finally {
      quickRuns--;
    }
  };
  const quick = frameRestoringRun(als, hooks, enterAndCall);
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
    ...(quick === undefined ? {} : { quick: { shallow: () => quickRuns + runs.length < SHALLOW_RUNS, run: quick } }),
  };
}

type Run = <A extends unknown[], R>(scope: object, fn: (...args: A) => R, args: A) => R;

/** The one-frame run through an AsyncResource, where the runtime has one that restores its frame. */
function frameRestoringRun(
  als: AsyncHooks.AsyncLocalStorage<object>,
  hooks: typeof AsyncHooks,
  enterAndCall: Run,
): Run | undefined {
  const { AsyncResource } = hooks;
  const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process?.versions;
  if (versions?.['bun'] !== undefined || versions?.['deno'] !== undefined) return undefined;
  if (typeof AsyncResource?.prototype?.runInAsyncScope !== 'function') return undefined;
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
