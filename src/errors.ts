/**
 * The errors this library throws. Each maps to the exception Python's
 * `contextvars` raises in the same situation and has a stable `name`, so it
 * can be checked with `instanceof` or by name after a structured clone.
 *
 * Argument-type mistakes (a non-string variable name, a non-ContextVar key,
 * a callback that is not a function) throw the built-in `TypeError`, as
 * Python raises `TypeError`.
 *
 * @module
 */

/** Gives `cls.prototype.name` the class's own name, immune to minification. */
export function setErrorName(cls: { prototype: Error }, name: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
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
setErrorName(LookupError, 'LookupError');

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
setErrorName(TokenVarMismatchError, 'TokenVarMismatchError');

/**
 * A token was reset in a different flow from the one it was made in: another
 * `Context`, another task, or a callback running in its own copy (Python's
 * `ValueError`). Reset a token in the same `Context.run` call or task that
 * made it.
 *
 * @example
 * ```ts
 * const v = new ContextVar('v');
 * const token = new Context().run(() => v.set(1));
 * v.reset(token); // throws TokenContextError
 * ```
 */
export class TokenContextError extends Error {}
setErrorName(TokenContextError, 'TokenContextError');

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
setErrorName(TokenUsedError, 'TokenUsedError');

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
setErrorName(ContextReentryError, 'ContextReentryError');

/**
 * A task was added to a {@link TaskGroup} that has finished waiting, or that
 * is shutting down because one of its tasks failed (Python's `RuntimeError`
 * from `TaskGroup.create_task`). Start a new group for new work.
 *
 * @example
 * ```ts
 * const group = new TaskGroup();
 * await group.wait();
 * group.createTask(async () => {}); // throws TaskGroupClosedError
 * ```
 */
export class TaskGroupClosedError extends Error {}
setErrorName(TaskGroupClosedError, 'TaskGroupClosedError');
