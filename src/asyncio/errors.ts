/**
 * The errors of `contextvars/asyncio`. Like the core's (src/errors.ts), each
 * has a stable `name` and is recognised by `instanceof` across copies of the
 * library.
 *
 * @module
 */
import { repr } from '../brand.ts';
import { errorClass } from '../errors.ts';

/**
 * A task was cancelled (Python's `asyncio.CancelledError`): the reason of a
 * cancelled task's {@link Task.signal}, and what the task's promise rejects
 * with. It is not a `DOMException` named `AbortError`: a cancellation is told
 * apart from other aborts with `instanceof CancelledError` or
 * {@link Task.cancelled}. An API that wraps its signal's reason (Node's
 * `timers/promises` rejects with an `AbortError` whose `cause` is the reason)
 * still ends the task as cancelled.
 *
 * @example
 * ```ts
 * const task = createTask(() => sleep(1000, undefined, { signal: currentTask()!.signal }));
 * task.cancel('no longer needed');
 * try {
 *   await task;
 * } catch (error) {
 *   if (error instanceof CancelledError) console.log(error.message); // 'no longer needed'
 * }
 * ```
 */
export class CancelledError extends Error {}
errorClass(CancelledError, 'CancelledError');

/**
 * The error a {@link TaskGroup} rejects with when any of its tasks failed
 * (Python's `ExceptionGroup`). `errors` holds every failure, in order; tasks
 * that ended cancelled are not failures.
 *
 * @example
 * ```ts
 * try {
 *   await using group = new TaskGroup();
 *   group.createTask(async () => { throw new Error('boom'); });
 * } catch (error) {
 *   if (error instanceof TaskGroupError) console.log(error.errors); // [Error: boom]
 * }
 * ```
 */
export class TaskGroupError extends AggregateError {
  /**
   * Made by {@link TaskGroup.wait}, with a message naming how many tasks failed and the first failure.
   *
   * @param errors - every failure of the group's tasks, in the order they happened.
   */
  constructor(errors: readonly unknown[]) {
    super(errors, `${errors.length} of the task group's tasks failed; the first: ${describeFailure(errors[0])}`);
  }
}
errorClass(TaskGroupError, 'TaskGroupError');

/**
 * A task was added to a {@link TaskGroup} that has finished waiting, or that
 * is shutting down because one of its tasks failed or it was cancelled
 * (Python's `RuntimeError` from `TaskGroup.create_task`). Start a new group
 * for new work.
 *
 * @example
 * ```ts
 * const group = new TaskGroup();
 * await group.wait();
 * group.createTask(async () => {}); // throws TaskGroupClosedError
 * ```
 */
export class TaskGroupClosedError extends Error {}
errorClass(TaskGroupClosedError, 'TaskGroupClosedError');

/** A failure for a message; a thrown revoked Proxy or a throwing getter must not stop the error that names it. */
export function describeFailure(failure: unknown): string {
  try {
    return failure instanceof Error ? `${String(failure.name)}: ${String(failure.message)}` : repr(failure);
  } catch {
    return repr(failure);
  }
}
