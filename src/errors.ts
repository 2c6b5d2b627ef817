/**
 * The errors of the core entry, and `errorClass`, which every entry's errors
 * are made with (contextvars/asyncio's are in asyncio/errors.ts). Each maps
 * to the exception Python's `contextvars` raises in the same situation and
 * has a stable `name`, so it can be checked with `instanceof` or by name
 * after a structured clone.
 *
 * Argument-type mistakes (a non-string variable name, a non-ContextVar key,
 * a callback that is not a function) throw the built-in `TypeError`, as
 * Python raises `TypeError`.
 *
 * @module
 */

import { identify } from './brand.ts';

/**
 * Makes `cls` one of this library's errors: its `name` is the class's own
 * (immune to minification), and `instanceof` recognises the errors of every
 * copy of the library in the process (the ESM and CommonJS builds, two
 * installed versions), as it does for ContextVar and Context.
 */
export function errorClass(cls: { prototype: Error }, name: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
  identify(cls, `error.${name}`);
}

/**
 * A variable was read with `get()` where it has no value in the current
 * context and no default (Python's `LookupError`).
 *
 * @example
 * ```ts
 * const user = new ContextVar<string>('user');
 * try {
 *   user.get();
 * } catch (error) {
 *   if (error instanceof LookupError) console.log(error.message);
 * }
 * ```
 */
export class LookupError extends Error {
  /**
   * The name of the variable that had no value.
   *
   * @example
   * ```ts
   * try {
   *   new ContextVar('user').get();
   * } catch (error) {
   *   (error as LookupError).variableName; // 'user'
   * }
   * ```
   */
  readonly variableName: string;

  /**
   * Made by `ContextVar.get()`; construct one yourself only to imitate it, e.g. in a test double.
   *
   * @param variableName - the name of the variable that had no value; the message names it.
   */
  constructor(variableName: string) {
    super(
      `ContextVar '${variableName}' has no value in the current context and no default: ` +
        `set it first, give it a default, or call get(fallback)`,
    );
    this.variableName = variableName;
  }
}
errorClass(LookupError, 'LookupError');

/**
 * A token was passed to `reset()` of a variable other than the one whose
 * `set()` made it (Python's `ValueError`).
 *
 * @example
 * ```ts
 * const a = new ContextVar('a');
 * const b = new ContextVar('b');
 * const token = a.set(1);
 * b.reset(token); // throws TokenVarMismatchError
 * ```
 */
export class TokenVarMismatchError extends Error {}
errorClass(TokenVarMismatchError, 'TokenVarMismatchError');

/**
 * A token was reset in a different flow from the one it was made in: another
 * `Context`, another task, or a callback running in its own copy (Python's
 * `ValueError`); or it was made inside a `ContextVar.run` that has returned
 * (the reset would carry the run's value out to its caller). Reset a token
 * in the same `Context.run` call, task or `ContextVar.run` that made it.
 *
 * @example
 * ```ts
 * const v = new ContextVar('v');
 * const token = new Context().run(() => v.set(1));
 * v.reset(token); // throws TokenContextError
 * const scoped = v.run(2, () => v.set(3));
 * v.reset(scoped); // throws TokenContextError
 * ```
 */
export class TokenContextError extends Error {}
errorClass(TokenContextError, 'TokenContextError');

/**
 * A token was reset a second time (Python's `RuntimeError`). A token restores
 * the value from before its `set()` exactly once.
 *
 * @example
 * ```ts
 * const v = new ContextVar('v');
 * const token = v.set(1);
 * v.reset(token);
 * v.reset(token); // throws TokenUsedError
 * ```
 */
export class TokenUsedError extends Error {}
errorClass(TokenUsedError, 'TokenUsedError');

/**
 * `Context.run` was called on a Context that is already running on the
 * current stack (Python's `RuntimeError`). Run a `copy()` of it instead.
 *
 * @example
 * ```ts
 * const ctx = new Context();
 * ctx.run(() => ctx.run(() => {})); // throws ContextReentryError
 * ```
 */
export class ContextReentryError extends Error {}
errorClass(ContextReentryError, 'ContextReentryError');

/**
 * A `set` was refused because the runtime cannot keep its value to the
 * current flow: without asynchronous propagation (Node.js 20.0 to 20.15,
 * an engine without AsyncLocalStorage) a value set outside `Context.run`
 * or `ContextVar.run` would reach every concurrent request. Inside a run's
 * synchronous code values still work. Upgrade (Node.js 20.16+, Bun and Deno
 * have what is needed), or give the value to one call with `v.run(value, fn)`.
 *
 * @example
 * ```ts
 * // On Node.js 20.15:
 * requestId.set('r-1'); // throws UnsupportedRuntimeError
 * requestId.run('r-1', handle); // works: handle's synchronous code sees 'r-1'
 * ```
 */
export class UnsupportedRuntimeError extends Error {
  /**
   * The name of the variable whose `set` was refused.
   *
   * @example
   * ```ts
   * (error as UnsupportedRuntimeError).variableName; // 'requestId'
   * ```
   */
  readonly variableName: string;

  /**
   * Made by `ContextVar.set()`; construct one yourself only to imitate it, e.g. in a test double.
   *
   * @param variableName - the variable whose `set` was refused.
   * @param missing - what the runtime lacks.
   */
  constructor(variableName: string, missing: string) {
    super(
      `ContextVar '${variableName}'.set() refused: no ${missing} (Node.js 20.16+, Bun and Deno have it), so values ` +
        'cannot follow await, and a set() outside Context.run() or ContextVar.run() would reach every concurrent ' +
        `request. Upgrade, or give the value to one call's synchronous code: ${variableName}.run(value, fn) or ` +
        `new Context([[${variableName}, value]]).run(fn).`,
    );
    this.variableName = variableName;
  }
}
errorClass(UnsupportedRuntimeError, 'UnsupportedRuntimeError');
