/**
 * The internal interface the public faces (ContextVar, Context, the TC39
 * facade) use to capture the running frame's scope and to run code in one.
 *
 * @module
 */
import { currentScope, Scope } from './context.ts';
import type { ContextVar } from './context-var.ts';
import { storage } from './runtime/index.ts';

export { currentScope, type Scope };

/** Calls `fn(...args)` with `scope` current; the caller's scope is back when it returns or throws. */
export function runInScope<A extends unknown[], R>(scope: Scope, fn: (...args: A) => R, args: A): R {
  return storage.run(scope, fn, args);
}

/** Calls `fn(...args)` with `variable` at `value` in the current flow (ContextVar.run, Variable.run). */
export function runWithValue<T, A extends unknown[], R>(
  variable: ContextVar<T>,
  value: T,
  fn: (...args: A) => R,
  args: A,
): R {
  const scope = currentScope();
  return storage.run(new Scope(scope.snapshot.set(variable, value), scope.flow), fn, args);
}
